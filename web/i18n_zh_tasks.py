"""Chinese for the task pages' context: the deal summary, what an approval decides on, conditional fields."""

TASKS_ZH: dict[str, str] = {
    "What this task is about": "任务背景",
    "To decide on": "待审批内容",
    "{n} days in this stage": "已在本阶段 {n} 天",
    "Company #{id}": "公司 #{id}",
    "Tender title": "项目名称",
    "Buyer": "招标单位",
    "Budget": "预算",
    "Bid price": "投标报价",
    "Agreed amount": "成交金额",
    "Awarded amount": "中标金额",
    "Discount": "折扣",
    "Payment terms": "付款条件",
    "Expected signing date": "预计签约日期",
    "Submission deadline": "投标截止",
    "Owner": "负责人",
    "Only when {field} is {value}.": "仅当“{field}”为“{value}”时填写。",
    "Only when {field} is not {value}.": "仅当“{field}”不是“{value}”时填写。",
}
