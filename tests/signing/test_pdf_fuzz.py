"""200 damaged copies of a signed contract posted to /api/contracts/verify: a verdict or a 4xx, never a 500.

The mutations are the damage a file takes in mail gateways, truncated
downloads and hostile hands: flipped bytes, cut tails, repeated chunks,
broken xref tables and trailers, zeroed stream data, inserted garbage.
A fixed seed keeps every run's 200 files the same.
"""
from __future__ import annotations

import io
import json
import random
import re

import pytest

SEED = 12
COUNT = 200


def flip_bytes(rng: random.Random, pdf: bytes) -> bytes:
    data = bytearray(pdf)
    for _ in range(rng.randint(1, 40)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def truncate(rng: random.Random, pdf: bytes) -> bytes:
    return pdf[:rng.randrange(8, len(pdf))]


def duplicate_chunk(rng: random.Random, pdf: bytes) -> bytes:
    start = rng.randrange(len(pdf))
    chunk = pdf[start:start + rng.randint(1, 4096)]
    at = rng.randrange(len(pdf))
    return pdf[:at] + chunk * rng.randint(1, 3) + pdf[at:]


def damage_xref(rng: random.Random, pdf: bytes) -> bytes:
    """Change a digit in a cross-reference entry, a startxref offset or a trailer's numbers."""
    targets = [m.start() for m in re.finditer(rb"\d{10} \d{5} [nf]|startxref\s+\d+|/Size \d+|/Prev \d+|"
                                              rb"/XRefStm \d+|/W \[[\d ]+\]|/Index \[[\d ]+\]", pdf)]
    data = bytearray(pdf)
    for at in rng.sample(targets, min(len(targets), rng.randint(1, 6))):
        end = at + 40
        digits = [i for i in range(at, min(end, len(data))) if 48 <= data[i] <= 57]
        for i in rng.sample(digits, min(len(digits), rng.randint(1, 3))):
            data[i] = rng.choice(b"0123456789")
    return bytes(data)


def damage_trailer(rng: random.Random, pdf: bytes) -> bytes:
    words = [rb"trailer", rb"startxref", rb"%%EOF", rb"/Root", rb"xref", rb"/Type /XRef", rb"/Encrypt"]
    word = rng.choice(words)
    replacement = rng.choice([b"", b"garbage", word[::-1], b"/Root 99999 0 R", b"<<>>"])
    positions = [m.start() for m in re.finditer(re.escape(word), pdf)]
    if not positions:
        return flip_bytes(rng, pdf)
    at = rng.choice(positions)
    return pdf[:at] + replacement + pdf[at + len(word):]


def zero_stream(rng: random.Random, pdf: bytes) -> bytes:
    streams = [(m.end(), pdf.find(b"endstream", m.end())) for m in re.finditer(rb"stream\r?\n", pdf)]
    streams = [(start, end) for start, end in streams if end > start]
    start, end = rng.choice(streams)
    cut_from = rng.randrange(start, end)
    cut_to = min(end, cut_from + rng.randint(1, 2048))
    return pdf[:cut_from] + b"\0" * (cut_to - cut_from) + pdf[cut_to:]


def insert_garbage(rng: random.Random, pdf: bytes) -> bytes:
    at = rng.randrange(len(pdf))
    garbage = rng.choice([rng.randbytes(rng.randint(1, 512)), b"<<" * 200, b"[" * 5000, b"obj endobj",
                          b"1 0 obj << /Length 999999999 >> stream\n", b"\xff\xfe\x00",
                          b"/Type /Catalog /Pages 1 0 R", b"(" + b"\\" * 300])
    return pdf[:at] + garbage + pdf[at:]


MUTATIONS = (flip_bytes, truncate, duplicate_chunk, damage_xref, damage_trailer, zero_stream,
             insert_garbage)


def mutants(pdf: bytes, count: int = COUNT, seed: int = SEED):
    """Yield (name, bytes) for `count` damaged copies of `pdf`, the same ones for the same seed."""
    rng = random.Random(seed)
    for index in range(count):
        mutation = MUTATIONS[index % len(MUTATIONS)]
        damaged = mutation(rng, pdf)
        if rng.random() < 0.2:  # some files take two kinds of damage
            damaged = rng.choice(MUTATIONS)(rng, damaged)
        yield f"m{index:03d}-{mutation.__name__}.pdf", damaged


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # no database work: one backend
def test_two_hundred_damaged_pdfs_get_a_verdict_or_a_4xx(api, data_dir, signed_contract, capsys):
    statuses = {}
    for name, damaged in mutants(signed_contract["pdf"]):
        response = api["alice"].post("/api/contracts/verify", data={"file": (io.BytesIO(damaged), name)},
                                     content_type="multipart/form-data")
        body = response.get_json()
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (name, body)
        if response.status_code == 200:
            assert body["file"] == name and isinstance(body["intact"], bool), name
        else:
            assert 400 <= response.status_code < 500 and name in body["errors"][0]["message"], (name, body)
            assert body["errors"][0]["field"] == "file", (name, body)
    assert sum(statuses.values()) == COUNT
    with capsys.disabled():
        print(f"\nPDF fuzz: {COUNT} damaged PDFs, statuses {json.dumps(statuses, sort_keys=True)}")
