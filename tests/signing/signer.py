"""The customer's signer, as a browser without an account: open the link, confirm, sign."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def link_path(url: str) -> str:
    """Return the path of a signing link's URL (the test client speaks paths)."""
    return urlsplit(url).path


def send_link(api_client, contract_id: int, name: str = "张三", email: str = "zhang.san@example.cn",
              expect: int = 201, **extra) -> dict:
    """Make a signing link through the API as `api_client`; return the JSON answer."""
    response = api_client.post(f"/api/contracts/{contract_id}/signing-links",
                               json={"name": name, "email": email, **extra})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def open_page(browser, url: str, expect: int = 200) -> str:
    """Open the signing page of `url`; return its HTML."""
    response = browser.get(link_path(url), headers={"User-Agent": "SignerBrowser/1.0"})
    assert response.status_code == expect, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def sign(browser, url: str, name: str = "张三", expect: int | None = 200, *, agree: bool = True,
         page: str | None = None, **fields):
    """Post the signing form of `url` with the page's CSRF token; return the response."""
    html = page if page is not None else open_page(browser, url)
    data = {"csrf_token": CSRF.search(html)[1], "name": name, "next": link_path(url), **fields}
    if agree:
        data["agree"] = "yes"
    response = browser.post(link_path(url), data=data, content_type="multipart/form-data",
                            headers={"User-Agent": "SignerBrowser/1.0"})
    assert expect is None or response.status_code == expect, response.get_data(as_text=True)[:800]
    return response
