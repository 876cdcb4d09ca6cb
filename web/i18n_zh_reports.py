"""Chinese for the reports page and the pipeline's win rate and delivery counts; merged into ZH."""

REPORTS_ZH: dict[str, str] = {
    "Reports": "报表",
    "Report filters": "报表筛选",
    "Period": "期间",
    "This month": "本月",
    "This quarter": "本季度",
    "This year": "本年",
    "All time": "全部时间",
    "From … to …": "自定义起止日期",
    "To (included)": "到（含）",
    "Everyone": "所有人",
    "Every team": "所有团队",
    "From and to apply when the period is “From … to …”.": "期间选择“自定义起止日期”时，起止日期才生效。",
    "Period: {start} to {end}.": "期间：{start} 至 {end}。",
    "All time.": "全部时间。",
    "Deals of {owner}.": "{owner} 的商机。",
    "Deals of team {team}.": "团队 {team} 的商机。",
    "of closed deals": "已结束商机中",
    "{won} won of {closed} closed": "已结束 {closed} 个，赢单 {won} 个",
    "Entered the funnel": "进入漏斗",
    "Tender win rate": "投标中标率",
    "Click a lost or in-progress bar to see those deals.": "点击“丢单”或“进行中”的柱形，查看对应商机。",
    "Days per stage": "各阶段停留天数",
    "Visits": "次数",
    "Average days": "平均天数",
    "Still there": "仍在该阶段",
    "Days so far": "已停留天数",
    "Wins and losses": "赢单与丢单",
    "By reason": "按原因",
    "Reason": "原因",
    "Not given": "未填写",
    "No deal closed in this period.": "本期间没有已结束的商机。",
    "Lost at stage": "丢单阶段",
    "No deal lost in this period.": "本期间没有丢单。",
    "Closed": "已结束",
    "Bids": "投标数",
    "Not bid": "未投标",
    "Missed": "错过",
    "Awarded amount": "中标金额",
    "Lost to:": "输给：",
    "What the figures mean": "各项数字的含义",
    "Deals that entered this stage in the period.": "期间内进入该阶段的商机。",
    "Of those, the deals that left the stage for the next one (at the last stage: finished).":
        "其中离开该阶段、进入下一阶段的商机（最后一个阶段：已完成）。",
    "Of those, the deals lost while in this stage.": "其中在该阶段丢单的商机。",
    "Of those, the deals still in this stage, won deals in delivery included.":
        "其中仍在该阶段的商机，包括已赢单、正在交付的商机。",
    "Moved on ÷ entered.": "推进数 ÷ 进入数。",
    "Won ÷ closed (won + lost): of the deals closed in the period, the share won. "
    "The pipeline page shows it for all time.":
        "赢单数 ÷ 已结束数（赢单 + 丢单）：期间内结束的商机中赢单所占比例。销售看板显示的是全部时间的这一数字。",
    "Won ÷ closed (won + lost), of every deal closed so far: the reports page's win rate for all time.":
        "赢单数 ÷ 已结束数（赢单 + 丢单），统计至今所有已结束的商机：即报表页“全部时间”的赢单率。",
    "Average days in the stage of the visits that entered it in the period and left it.":
        "期间内进入并已离开该阶段的商机，在该阶段的平均停留天数。",
    "Average days so far of the visits still in the stage.": "仍在该阶段的商机至今的平均停留天数。",
    "Deals closed in the period, by the reason recorded when they were won or lost.":
        "期间内结束的商机，按赢单或丢单时记录的原因统计。",
    "Deals lost in the period, by the stage they were lost at.": "期间内丢单的商机，按丢单时所在阶段统计。",
    "Tenders won ÷ bids decided (won + lost) among those closed in the period; "
    "tenders not bid for or missed are not bids.":
        "中标数 ÷ 已有结果的投标数（中标 + 未中标），统计期间内结束的项目；未投标或错过的不计为投标。",
    "{open} open · {won} won, in delivery": "{open} 进行中 · {won} 已赢单在交付",
    "Won deals in delivery at this stage": "该阶段已赢单、正在交付的商机",
}
