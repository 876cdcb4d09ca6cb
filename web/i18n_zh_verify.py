"""Chinese for the verification verdict (web/templates/_verification.html); merged into ZH.

The problem and change texts come from signing/verify.py (ISSUES) and signing/changes.py
(TEXTS, LEVELS): their English is the key, their parameters are filled in after lookup,
and tests/signing/test_verify_honest.py checks each has an entry here.
"""

VERIFY_ZH: dict[str, str] = {
    # the verdict
    "Changed after signing": "签署后被修改",
    "The signatures still match what they signed, but the document was changed afterwards in a way signing does not allow: what you see is not what was signed.":
        "各签名与其签署的内容仍然一致，但文档在签署之后被以签署所不允许的方式修改：您看到的并不是当初签署的内容。",
    "The document's bytes were changed after it was signed.": "文档在签署后其字节被改动。",
    "The signatures no longer match the file, so who signed it and whether their certificates are trusted cannot be checked on these bytes.":
        "签名与文件已不再一致，因此无法在这些字节上核验签署人及其证书是否可信。",
    "The PDF carries no signatures.": "该 PDF 不含任何签名。",
    "The signatures cannot be read.": "无法读取签名。",
    "What was changed after signing": "签署后改动了什么",
    "Revision {number} of {total}: {what}": "第 {number} 版（共 {total} 版）：{what}",
    "Later revisions: {what}": "之后的版本：{what}",
    "Revision {first} of {total} is not covered by any signature.": "第 {first} 版（共 {total} 版）不在任何签名的覆盖范围内。",
    "Revisions {first}–{last} of {total} are not covered by any signature.":
        "第 {first}–{last} 版（共 {total} 版）不在任何签名的覆盖范围内。",
    "Revision {number} adds {what}.": "第 {number} 版仅添加了{what}。",
    "Signature {number}": "签名 {number}",
    "Bytes changed": "字节被改动",
    "Changed after this signature": "此签名后被修改",
    "Covers the whole document (revision {revision} of {total}).": "覆盖整个文档（第 {revision} 版，共 {total} 版）。",
    "Covers revisions 1–{revision} of {total}; revision {next} came after it.":
        "覆盖第 1–{revision} 版（共 {total} 版）；第 {next} 版在其之后。",
    "Covers revisions 1–{revision} of {total}; revisions {next}–{total} came after it.":
        "覆盖第 1–{revision} 版（共 {total} 版）；第 {next}–{total} 版在其之后。",
    "revision {revision} of {total}": "第 {revision} 版，共 {total} 版",
    "Problems": "问题",
    "signature {number} ({signer}, {role})": "签名 {number}（{signer}，{role}）",
    "document timestamp {number} ({signer})": "文档时间戳 {number}（{signer}）",
    "Check the signatures": "查看签名验证",
    # problems (signing/verify.py ISSUES)
    "the PDF carries no signatures": "该 PDF 不含任何签名",
    "the signatures cannot be read: {reason}": "无法读取签名：{reason}",
    "the signature cannot be validated: {reason}": "无法验证该签名：{reason}",
    "the document's bytes were changed after it was signed: the signature no longer matches them, so its certificate cannot be checked either":
        "文档在签署后其字节被改动：签名与之不再一致，因此也无法核验其证书",
    "the signature value does not verify: the signature itself was altered, so its certificate cannot be checked either":
        "签名值验证未通过：签名本身被改动，因此也无法核验其证书",
    "the document was changed after this signature": "文档在此签名之后被修改",
    "the signature covers only part of its revision, so later changes cannot be ruled out":
        "该签名只覆盖了其所在版本的一部分，无法排除之后的改动",
    "the archived file no longer matches its SHA-256 {sha256}": "档案中的文件与其 SHA-256 {sha256} 不再一致",
    "the certificate does not chain to a trusted root": "证书无法链接到受信任的根证书",
    "the certificate had expired or was not yet valid": "签署时证书已过期或尚未生效",
    "the certificate has expired": "证书已过期",
    "the certificate is not valid yet": "证书尚未生效",
    "the certificate was revoked on {date} ({reason})": "证书已于 {date} 被吊销（{reason}）",
    "a CA certificate above the signer's was revoked on {date} ({reason})": "签署人证书的上级 CA 证书已于 {date} 被吊销（{reason}）",
    "the certificate is revoked": "证书已被吊销",
    "a CA certificate above the signer's is revoked": "签署人证书的上级 CA 证书已被吊销",
    "revocation information is not available": "无法获得吊销信息",
    "the certificate is not trusted": "证书不可信",
    "its timestamp is not trusted": "其时间戳不可信",
    # revocation reasons (RFC 5280), as signing/verify.py words them
    "unspecified": "未说明",
    "key compromise": "密钥泄露",
    "ca compromise": "CA 泄露",
    "affiliation changed": "隶属关系变更",
    "superseded": "已被取代",
    "cessation of operation": "停止运营",
    "certificate hold": "证书冻结",
    "remove from crl": "从吊销列表移除",
    "privilege withdrawn": "权限被撤销",
    "aa compromise": "属性机构泄露",
    # what a revision changed (signing/changes.py TEXTS and LEVELS)
    "The number of pages changed from {old} to {new}.": "页数从 {old} 页变为 {new} 页。",
    "Page {page} was rotated from {old}° to {new}°.": "第 {page} 页被从 {old}° 旋转到 {new}°。",
    "The content of page {page} was changed.": "第 {page} 页的内容被修改。",
    "Annotations on page {page} were added, removed or changed.": "第 {page} 页的批注被添加、删除或修改。",
    "The size or crop box of page {page} was changed.": "第 {page} 页的尺寸或裁剪框被修改。",
    "The attached file {name} was added, removed or changed.": "附件 {name} 被添加、删除或修改。",
    "Form fields were filled in: {fields}.": "填写了表单字段：{fields}。",
    "{count} other objects of the file were changed.": "文件中另有 {count} 个对象被修改。",
    "The changes cannot be described: {reason}.": "无法描述这些改动：{reason}。",
    "nothing": "无改动",
    "validation data only (certificates, revocation lists, timestamps), which signing allows":
        "验证数据（证书、吊销列表、时间戳），签署允许此类改动",
    "signatures or form filling, which signing allows": "签名或表单填写，签署允许此类改动",
    "annotations, which these signatures do not allow": "批注，这些签名不允许此类改动",
    "changes that signing does not allow": "签署所不允许的改动",
}
