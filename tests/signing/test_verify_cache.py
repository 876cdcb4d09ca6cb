"""Verification is cached by the file's sha256 and what is trusted (the contract page verified on
every view): the same bytes answer the same report at once, while changed bytes, a revocation or
a new root are verified afresh."""
from __future__ import annotations

import os
import time

from signing import archive, keys, service, verify

from .test_service import short_contract


def test_a_second_look_is_answered_from_the_cache_and_changes_are_not(session, data_dir):
    contract = service.draft_contract(session, short_contract(), None)
    service.seal_contract(session, contract.id, None, None)
    started = time.perf_counter()
    first = service.verify_contract(session, contract.id)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    again = service.verify_contract(session, contract.id)
    warm = time.perf_counter() - started
    assert again == first and first["verdict"] == "valid"
    assert warm < cold, (warm, cold)
    pdf = archive.read(data_dir / "contracts", contract.sha256)
    # An upload of the same bytes gets the report under its own name.
    uploaded = service.verify_pdf_bytes(pdf, file_name="mine.pdf")
    assert uploaded == verify.verify_pdf(pdf, keys.trust(data_dir), file_name="mine.pdf")

    serial = int(first["signatures"][0]["serial"], 16)
    keys.revoke_certificate(data_dir, serial, "key_compromise")
    revoked = service.verify_contract(session, contract.id)
    assert (revoked["verdict"], revoked["trusted"]) == ("untrusted", False)

    path = archive.path_for(data_dir / "contracts", contract.sha256)
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[1500] ^= 0x01
    path.write_bytes(bytes(data))
    tampered = service.verify_contract(session, contract.id)
    assert (tampered["verdict"], tampered["intact"]) == ("tampered", False)
