"""Chinese for the server's messages (web/messages.py reads them back by template); merged into ZH.

The keys are the English templates of web/messages.TEMPLATES; a Chinese text may
leave out a placeholder (an English permission description) but adds none.
The kinds of things and statuses a message names come last.
"""

MESSAGES_ZH: dict[str, str] = {
    # permission refused
    "please log in": "请先登录。",
    "you need the permission {permission} ({description})": "您没有执行此操作所需的权限（{permission}）。",
    "you are not in a group of task {task}": "您不在任务 {task} 的处理小组中。",
    "task {task} is not assigned to you": "任务 {task} 没有分配给您。",
    "you may not complete task {task}": "您无权完成任务 {task}。",
    "the route {endpoint} declares no permission, so it is closed": "该地址没有声明所需权限，因此不开放。",
    "you may change {what} only if you see both its ends": "只有能看到两端时才能修改{what}。",
    # not found
    "no {what} {key}": "找不到{what} {key}。",
    "no {what}": "找不到{what}。",
    "no process {key} is deployed": "流程 {key} 尚未部署。",
    "{what} {key} was merged into {survivor}": "{what} {key} 已合并到 {survivor}。",
    "process instance {instance} has no opportunity": "流程实例 {instance} 没有对应的商机。",
    "contract {number} has no revision {revision}": "合同 {number} 没有第 {revision} 版。",
    # already done, changed meanwhile, conflicts
    "task {task} is already claimed by {name}": "任务 {task} 已被 {name} 认领。",
    "task {task} is no longer ready": "任务 {task} 已不能处理。",
    "task {task} is already {status}": "任务 {task} 已是“{status}”状态。",
    "process instance {instance} has already ended": "流程实例 {instance} 已经结束。",
    "process instance {instance} was changed meanwhile; reload and retry":
        "流程实例 {instance} 刚被他人更改，请刷新后重试。",
    "process instance {instance} is not in error (it is {status})":
        "流程实例 {instance} 没有出错（当前为“{status}”）。",
    "process instance {instance} has a signed contract already: {number}":
        "流程实例 {instance} 已有签署的合同：{number}。",
    "contract {number} was signed meanwhile; the deal keeps it": "合同 {number} 刚刚已签署，商机保留该合同。",
    "contract {number} is {status}; only a {expected} contract can be {doing}":
        "合同 {number} 当前为“{status}”，只有“{expected}”的合同才能进行此操作。",
    "contract {number} was superseded by a redraft; it can no longer be sent or signed":
        "合同 {number} 已被重新起草的版本取代，不能再发送或签署。",
    "changed meanwhile; reload and retry": "数据刚被他人更改，请刷新后重试。",
    "conflicts with an existing record; reload and retry": "与已有记录冲突，请刷新后重试。",
    "a company called {name} exists already": "已有名为 {name} 的公司。",
    "user {name} exists already": "用户 {name} 已存在。",
    "team {name} exists already": "团队 {name} 已存在。",
    "contact {contact} is on the committee already": "联系人 {contact} 已在采购决策小组中。",
    "contact {contact} is on the committee of opportunity {opportunity} already":
        "联系人 {contact} 已在商机 {opportunity} 的采购决策小组中。",
    "credit_code {code} is {name}'s already": "统一社会信用代码 {code} 已属于 {name}。",
    "is {name}'s already": "已属于 {name}。",
    # required fields, invalid values
    "the task cannot be completed yet": "任务还不能完成。",
    "{field} is required": "{field}为必填项。",
    "required": "必填。",
    "not a field of this form": "不是此表单的字段。",
    "must be an object": "必须是一个对象。",
    "data must be a JSON object": "数据必须是 JSON 对象。",
    "no file uploaded": "没有上传文件。",
    "say why you set these variables": "请说明设置这些变量的原因。",
    "the customer's signer needs a name and an e-mail address": "客户签署人需要姓名和电子邮件地址。",
    "a signing link lasts at most 30 days": "签署链接最长有效 30 天。",
    "choose your PKCS#12 file (.p12 or .pfx)": "请选择您的 PKCS#12 文件（.p12 或 .pfx）。",
    "type your name as it stands on the link; if it is wrong, ask the sender for a new link":
        "请按链接上的写法输入您的姓名；如果姓名有误，请向发送人索取新链接。",
    "tick that you have read and agree": "请勾选您已阅读并同意。",
    "{file} is not a PDF: {why}": "{file} 不是 PDF 文件（{why}）。",
    "{file} is not a readable PDF: {why}": "{file} 是无法读取的 PDF 文件（{why}）。",
    "Missing data for required field.": "必填。",
    "Field may not be null.": "不能为空。",
    "Unknown field.": "未知字段。",
    "Not a valid integer.": "不是有效的整数。",
    "Not a valid number.": "不是有效的数字。",
    "Not a valid string.": "不是有效的文本。",
    "Not a valid boolean.": "不是有效的是/否值。",
    "Not a valid date.": "不是有效的日期。",
    "Not a valid email address.": "不是有效的电子邮件地址。",
    "Must be one of: {choices}.": "必须是以下之一：{choices}。",
    "Length must be between {min} and {max}.": "长度须在 {min} 到 {max} 之间。",
    "Shorter than minimum length {min}.": "长度不能少于 {min}。",
    "Longer than maximum length {max}.": "长度不能超过 {max}。",
    "Must be greater than or equal to {min}.": "不能小于 {min}。",
    "Must be greater than or equal to {min} and less than or equal to {max}.": "须在 {min} 到 {max} 之间。",
    # an upload that is no model at all
    "{name}: only .bpmn and .dmn files can be uploaded": "{name}：只能上传 .bpmn 和 .dmn 文件。",
    "not well-formed XML: {detail}": "XML 格式不正确：{detail}",
    "DOCTYPE declarations are not allowed": "不允许 DOCTYPE 声明。",
    "not a BPMN or DMN file: the root element is <{element}>": "不是 BPMN 或 DMN 文件：根元素是 <{element}>。",
    "a binary (or UTF-16) file, not UTF-8 XML text": "这是二进制（或 UTF-16）文件，不是 UTF-8 XML 文本。",
    "not UTF-8 text (byte {byte}); save the file as UTF-8": "不是 UTF-8 文本（字节 {byte}），请将文件另存为 UTF-8。",
    "{name} is over the {limit} MiB limit": "{name} 超过 {limit} MiB 的上限。",
    "{name} is uploaded twice": "{name} 上传了两次。",
    # the web server's own refusals
    "The requested URL was not found on the server. If you entered the URL manually please check "
    "your spelling and try again.": "此地址没有页面。如果地址是手动输入的，请检查拼写后重试。",
    "The method is not allowed for the requested URL.": "此地址不接受这种请求。",
    "The browser (or proxy) sent a request that this server could not understand.": "服务器无法理解此请求。",
    "The data value transmitted exceeds the capacity limit.": "提交的数据超出了大小限制。",
    "The CSRF token is missing.": "表单缺少安全令牌，请刷新页面后重试。",
    "The CSRF session token is missing.": "会话缺少安全令牌，请刷新页面后重试。",
    "The CSRF token is invalid.": "表单的安全令牌无效，请刷新页面后重试。",
    "The CSRF tokens do not match.": "表单的安全令牌不匹配，请刷新页面后重试。",
    "The CSRF token has expired.": "表单的安全令牌已过期，请刷新页面后重试。",
    "internal error; it has been logged": "服务器内部错误，已记录。",
    "This address only takes a form": "此地址只接受表单提交",
    # the kinds of things and statuses messages name (web/messages.py WORDS, capitalised)
    "Process definition": "流程定义",
    "Process instance": "流程实例",
    "Committee member": "采购决策小组成员",
    "Duplicate candidate": "疑似重复记录",
    "Contact link": "联系人关系",
    "Company link": "公司关系",
    "Opportunity": "商机",
    "Import job": "导入任务",
    "API token": "API 令牌",
    "Contact": "联系人",
    "Task": "任务",
    "Team": "团队",
}
