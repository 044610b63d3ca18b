"""Reports as GB/T 9704 Word documents, composed from plain data (``model.py``).

Pure: no database, no clock. The leaders read figures and the exceptions;
long listings (every paper of the month) go into the appendix only when asked
for, in a table whose numbers, dates and states never wrap.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

from docgen.services.dates import format_official_date
from docgen.services.official_docx import Column, OfficialDocx
from docgen.services.report_chart import ChartRow, matters_chart
from docgen.services.reports.model import (
    BULLETIN_SECTIONS,
    LIGHTS,
    MONTHLY_SECTIONS,
    QUARTERLY_SECTIONS,
    STATES,
    DepartmentFigures,
    Heading,
    MatterLine,
    MonthlyBulletin,
    MonthlyReport,
    PaperLine,
    QuarterlyBulletin,
    reply_figures,
)

NUMERALS = "一二三四五六七八九十"
# problem papers listed by name in the body; more than this and the body gives counts by unit
MAX_LISTED = 40
QUARTER_NAMES = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}
# progress text longer than this is cut in the body (the matter's timeline keeps it whole)
MAX_PROGRESS_CHARS = 80

Progress = Callable[[int, int], None]


def md(day: dt.date | None) -> str:
    """``11月30日``; empty for no date."""
    return f"{day.month}月{day.day}日" if day else ""


def ymd(day: dt.date | None) -> str:
    """``2026年11月30日`` in tables (a whole column: it never wraps)."""
    return f"{day.year}年{day.month}月{day.day}日" if day else "—"


def _heading_number(index: int) -> str:
    return NUMERALS[index] if index < len(NUMERALS) else str(index + 1)


def _notes(writer: OfficialDocx, notes: dict[str, str], key: str) -> None:
    text = (notes or {}).get(key, "")
    if text and text.strip():
        writer.text(text)


def _start(heading: Heading, title: str) -> OfficialDocx:
    writer = OfficialDocx(title, heading.organisation, heading.signed_on, heading.number)
    writer.title(title)
    if heading.number:
        writer.number(heading.number)
    writer.blank()
    return writer


def _finish(writer: OfficialDocx, heading: Heading) -> None:
    writer.signature(heading.offices, format_official_date(heading.signed_on, heading.date_style))


def _short(text: str, limit: int = MAX_PROGRESS_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _department_table(writer: OfficialDocx, departments: Sequence[DepartmentFigures]) -> None:
    columns = [
        Column("责任科室", weight=2),
        Column("事项", True, align="center"),
        Column("已报结", True, align="center"),
        Column("推进中", True, align="center"),
        Column("黄灯", True, align="center"),
        Column("红灯（逾期）", True, align="center"),
    ]
    rows = [[d.department, d.total, d.done, d.open, d.yellow, d.red] for d in departments]
    total = ["合计", *(sum(r[i] for r in rows) for i in range(1, 6))]
    writer.table(columns, [*rows, total], total_row=True)


def _chart(writer: OfficialDocx, departments: Sequence[DepartmentFigures], caption: str) -> None:
    rows = [ChartRow(d.department, d.done, d.green, d.yellow, d.red) for d in departments]
    writer.picture(matters_chart(rows), 150)  # the caption below names it
    writer.caption(caption)


def _papers_by_kind_table(writer: OfficialDocx, papers: Sequence[PaperLine]) -> None:
    kinds: dict[str, list[PaperLine]] = defaultdict(list)
    for paper in papers:
        if paper.state != "voided":
            kinds[paper.kind_title].append(paper)
    columns = [
        Column("文种", weight=2),
        Column("份数", True, align="center"),
        Column("按时回复", True, align="center"),
        Column("逾期回复", True, align="center"),
        Column("未回复", True, align="center"),
        Column("未到期", True, align="center"),
    ]
    rows = []
    for title, items in kinds.items():
        f = reply_figures(items)
        rows.append([title, len(items), f.on_time, f.late, f.missing, f.pending])
    total = ["合计", *(sum(r[i] for r in rows) for i in range(1, 6))]
    writer.table(columns, [*rows, total], total_row=True)


def _matter_paragraph(index: int, matter: MatterLine) -> str:
    if matter.status == "done":
        state = f"已于{md(matter.closed_on)}报结" if matter.closed_on else "已报结"
    elif matter.status == "cancelled":
        state = "已撤销"
    else:
        state = LIGHTS.get(matter.light, matter.light)
    limit = f"办结时限{md(matter.deadline)}，" if matter.deadline else ""
    text = f"{index}.{matter.title}（{matter.code + '，' if matter.code else ''}{limit}{state}）。"
    if matter.progress and matter.status == "open":
        parts = []
        for p in sorted(matter.progress, key=lambda p: p.reported_on)[-1:]:
            part = f"{md(p.reported_on)}报告：{_short(p.progress)}"
            if p.problems:
                part = part.rstrip("。；;") + f"；存在问题：{_short(p.problems)}"
            parts.append(part.rstrip("。；;") + "。")
        earlier = f"（本月共报告{len(matter.progress)}次）" if len(matter.progress) > 1 else ""
        text += f"最新进展{earlier}：" + "".join(parts)
    elif matter.status == "open":
        text += "本月未报送进展情况。"
    return text


# -- the monthly report ------------------------------------------------------------------


def monthly_title(year: int, month: int) -> str:
    return f"关于{year}年{month}月督查工作情况的报告"


def compose_monthly(report: MonthlyReport, with_papers: bool = False, progress: Progress | None = None) -> bytes:
    """The monthly written report to the leaders (每月27日前局两办以书面报告的形式向局领导报告)."""
    steps = 7 if with_papers else 6
    tick = progress or (lambda done, total: None)
    writer = _start(report.heading, monthly_title(report.year, report.month))
    writer.salutation("局领导：")
    writer.text(f"现将{report.year}年{report.month}月全局督查工作情况报告如下（数据截至{report.as_of.year}年{md(report.as_of)}）：")
    headings = iter(f"{_heading_number(i)}、{title}" for i, (_, title) in enumerate(MONTHLY_SECTIONS))
    notes = report.notes

    # 一、总体情况
    writer.heading(next(headings))
    done = sum(d.done for d in report.departments)
    green = sum(d.green for d in report.departments)
    yellow = sum(d.yellow for d in report.departments)
    red = sum(d.red for d in report.departments)
    live = [p for p in report.papers if p.state != "voided"]
    replies = report.replies
    kinds = Counter(p.kind_title for p in live)
    kind_text = "、".join(f"{title}{n}份" for title, n in kinds.items())
    writer.text(
        f"截至{md(report.as_of)}，督查台账共有督查事项{done + green + yellow + red}项，其中已报结{done}项，"
        f"正在推进{green + yellow + red}项（绿灯{green}项、黄灯{yellow}项、红灯{red}项）。"
        f"本月各科室报送进展情况{report.progress_count}次。"
    )
    writer.text(
        f"本月局两办共下发督办类文件{len(live)}份{'（' + kind_text + '）' if kind_text else ''}；"
        f"其中要求书面回复的{replies.asked}份，按时回复{replies.on_time}份，逾期回复{replies.late}份，"
        f"逾期未回复{replies.missing}份，尚未到期{replies.pending}份；升级督办{len(report.escalations)}份。"
    )
    if report.departments:
        writer.caption("表1 各科室督查事项情况")
        _department_table(writer, report.departments)
        _chart(writer, report.departments, "图1 督查事项（按科室和灯色）")
    tick(1, steps)
    if live:
        writer.caption("表2 本月下发文件及回复情况（按文种）")
        _papers_by_kind_table(writer, live)
    _notes(writer, notes, "overview")
    tick(2, steps)

    # 二、重点工作进展
    writer.heading(next(headings))
    by_department: dict[str, list[MatterLine]] = defaultdict(list)
    for matter in report.matters:
        by_department[matter.department].append(matter)
    if not by_department:
        writer.text("本月无在办的督查事项。")
    for i, (department, matters) in enumerate(by_department.items()):
        counts = Counter("done" if m.status == "done" else m.light for m in matters if m.status != "cancelled")
        writer.subheading(f"（{_heading_number(i)}）{department}")
        writer.text(
            f"共{len(matters)}项：已报结{counts['done']}项，绿灯{counts['green']}项，黄灯{counts['yellow']}项，红灯{counts['red']}项；"
            f"本月报送进展{sum(len(m.progress) for m in matters)}次。"
        )
        # the leaders read the overdue (red) matters in full, the others by name
        red = [m for m in matters if m.status == "open" and m.light == "red"]
        n = 0
        for n, matter in enumerate(red, start=1):
            writer.text(_matter_paragraph(n, matter))
        for label, group in (
            ("临近时限（黄灯）", [m for m in matters if m.status == "open" and m.light == "yellow"]),
            ("按计划推进（绿灯）", [m for m in matters if m.status == "open" and m.light == "green"]),
            ("已报结", [m for m in matters if m.status == "done"]),
        ):
            if group:
                n += 1
                names = "；".join(f"{m.title}（{md(m.deadline) + '到期' if m.status == 'open' and m.deadline else md(m.closed_on) + '报结' if m.closed_on else ''}）".replace("（）", "") for m in group)
                writer.text(f"{n}.{label}的{len(group)}项：{names}。")
    _notes(writer, notes, "progress")
    tick(3, steps)

    # 三、督办和问责情况
    writer.heading(next(headings))
    _supervision_section(writer, report.papers, with_papers)
    _notes(writer, notes, "supervision")
    tick(4, steps)

    # 四、存在问题和需要局领导协调的事项
    writer.heading(next(headings))
    if report.coordination:
        for n, item in enumerate(report.coordination, start=1):
            leader = f"，分管局领导：{item.leader}" if item.leader else ""
            writer.text(f"{n}.{item.department}“{item.matter}”：{_short(item.text, 400)}（{md(item.reported_on)}报告{leader}）")
    else:
        writer.text("本月各科室未提出需要局领导协调的事项。")
    _notes(writer, notes, "coordination")
    tick(5, steps)

    # 五、下月工作重点
    writer.heading(next(headings))
    if report.next_month:
        writer.text(f"下月共有{len(report.next_month)}个工作节点和办结时限到期，局两办将逐项跟踪督办：")
        writer.table(
            [Column("时限", True, align="center"), Column("责任科室", weight=1.2), Column("督查事项", weight=2), Column("工作节点", weight=2.4)],
            [[ymd(d.due_on), d.department, d.matter, "办结时限" if d.is_deadline else d.measure] for d in report.next_month],
        )
    else:
        writer.text("下月无到期的工作节点和办结时限。")
    _notes(writer, notes, "next_month")
    if with_papers and report.papers:
        writer.text("附件：本月签发文件清单")
    _finish(writer, report.heading)
    tick(6, steps)
    if with_papers and report.papers:
        _papers_appendix(writer, report.papers, f"{report.year}年{report.month}月签发文件清单")
        tick(7, steps)
    return writer.to_bytes()


def _supervision_section(writer: OfficialDocx, papers: Sequence[PaperLine], with_papers: bool) -> None:
    live = [p for p in papers if p.state != "voided"]
    if not live:
        writer.text("本月未下发督办类文件。")
        return
    voided = len(papers) - len(live)
    escalations = [p for p in live if p.follows]
    writer.text(
        f"本月下发督办类文件{len(live)}份，涉及{len({p.recipient for p in live})}个单位"
        f"{'，另作废' + str(voided) + '份' if voided else ''}。各单位收文及回复情况见表3。"
    )
    units: dict[str, list[PaperLine]] = defaultdict(list)
    for paper in live:
        units[paper.recipient or "（未写收文单位）"].append(paper)
    columns = [
        Column("收文单位", weight=2),
        Column("收文", True, align="center"),
        Column("按时回复", True, align="center"),
        Column("逾期回复", True, align="center"),
        Column("未回复", True, align="center"),
        Column("被升级督办", True, align="center"),
    ]
    escalated_units = Counter(p.recipient for p in escalations)
    rows = []
    for unit, items in sorted(units.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        f = reply_figures(items)
        rows.append([unit, len(items), f.on_time, f.late, f.missing, escalated_units.get(unit, 0)])
    total = ["合计", *(sum(r[i] for r in rows) for i in range(1, 6))]
    writer.caption("表3 本月各单位收文及回复情况")
    writer.table(columns, [*rows, total], total_row=True)
    problems = [p for p in live if p.state in ("overdue", "escalated") and p.replied_on is None]
    if problems:
        writer.text(f"截至本月底逾期未回复的文件{len(problems)}份：")
        shown = problems[:MAX_LISTED]
        writer.table(
            [Column("文号", True), Column("收文单位"), Column("回复期限", True, align="center"), Column("状态", True, align="center")],
            [[p.number or "（未编号）", p.recipient, ymd(p.due_on), STATES.get(p.state, p.state)] for p in shown],
        )
        if len(problems) > len(shown):
            where = "详见附件" if with_papers else "其余见登记簿"
            writer.text(f"以上列出前{len(shown)}份，{where}。")
    if escalations:
        writer.text(
            f"本月对逾期未回复的单位升级督办{len(escalations)}份："
            + "；".join(f"{p.recipient}（{p.kind_title}{p.number}，依据{p.follows}）" for p in escalations[:MAX_LISTED])
            + ("等。" if len(escalations) > MAX_LISTED else "。")
        )


def _papers_appendix(writer: OfficialDocx, papers: Sequence[PaperLine], title: str) -> None:
    """附件: every paper of the period, by kind, in a table whose numbers and states never wrap."""
    writer.page_break()
    writer.heading("附件")
    writer.title(title)
    writer.blank()
    columns = [
        Column("序号", True),
        Column("文号", True),
        Column("收文单位"),
        Column("签发日期", True, align="center"),
        Column("回复期限", True, align="center"),
        Column("状态", True, align="center"),
    ]
    ordered = sorted(papers, key=lambda p: (p.kind, p.issued_on, p.number))
    by_kind: dict[str, list[PaperLine]] = defaultdict(list)
    for paper in ordered:
        by_kind[paper.kind_title].append(paper)
    for title_of_kind, items in by_kind.items():
        writer.caption(f"{title_of_kind}（{len(items)}份）")
        writer.table(
            columns,
            [[n, p.number or "（未编号）", p.recipient, ymd(p.issued_on), ymd(p.due_on), STATES.get(p.state, p.state)]
             for n, p in enumerate(items, start=1)],
        )


# -- the quarterly bulletin ---------------------------------------------------------------


def quarterly_title(year: int, quarter: int) -> str:
    return f"关于{year}年{QUARTER_NAMES[quarter]}督查工作情况的通报"


def compose_quarterly(bulletin: QuarterlyBulletin, progress: Progress | None = None) -> bytes:
    """The quarterly bulletin to the base units (以季度通报形式向各基层单位反馈情况)."""
    tick = progress or (lambda done, total: None)
    writer = _start(bulletin.heading, quarterly_title(bulletin.year, bulletin.quarter))
    writer.salutation("各基层单位、局机关各科室：")
    quarter = QUARTER_NAMES[bulletin.quarter]
    writer.text(
        f"根据督查工作实施意见，现将{bulletin.year}年{quarter}督查事项落实情况通报如下"
        f"（数据截至{bulletin.as_of.year}年{md(bulletin.as_of)}）："
    )
    headings = iter(f"{_heading_number(i)}、{title}" for i, (_, title) in enumerate(QUARTERLY_SECTIONS))
    units = bulletin.units
    sums = {name: sum(getattr(u, name) for u in units)
            for name in ("done", "in_progress", "overdue", "papers_received", "replies_on_time", "replies_late", "replies_missing")}
    writer.heading(next(headings))
    writer.text(
        f"本季度督查事项涉及{len(units)}个单位：已报结{sums['done']}项，正在推进{sums['in_progress']}项，"
        f"逾期未完成{sums['overdue']}项。各单位共收到督办类文件{sums['papers_received']}份，"
        f"按时回复{sums['replies_on_time']}份，逾期回复{sums['replies_late']}份，未回复{sums['replies_missing']}份；"
        f"升级督办{sum(len(u.escalations) for u in units)}份。"
    )
    _notes(writer, bulletin.notes, "overview")
    tick(1, 3)
    writer.heading(next(headings))
    columns = [
        Column("单位", weight=2),
        Column("已报结", True, align="center"),
        Column("推进中", True, align="center"),
        Column("逾期", True, align="center"),
        Column("收文", True, align="center"),
        Column("逾期回复", True, align="center"),
        Column("未回复", True, align="center"),
    ]
    rows = [[u.unit, u.done, u.in_progress, u.overdue, u.papers_received, u.replies_late, u.replies_missing] for u in units]
    total = ["合计", *(sum(r[i] for r in rows) for i in range(1, 7))]
    writer.caption("各单位督查事项落实情况")
    writer.table(columns, [*rows, total], total_row=True)
    _notes(writer, bulletin.notes, "units")
    tick(2, 3)
    writer.heading(next(headings))
    if bulletin.praised:
        writer.text(
            "以下单位本季度督查事项均按期推进，督办文件均按时书面回复，予以表扬："
            + "、".join(u.unit for u in bulletin.praised) + "。"
        )
    else:
        writer.text("本季度没有督查事项全部按期落实、督办文件全部按时回复的单位。")
    _notes(writer, bulletin.notes, "praise")
    writer.heading(next(headings))
    if bulletin.criticised:
        writer.text("以下单位本季度督办事项逾期未落实，经督办提示后仍未按时完成，已升级督办，予以通报批评：")
        for n, unit in enumerate(bulletin.criticised, start=1):
            writer.text(f"{n}.{unit.unit}（{'、'.join(unit.escalations)}）。")
    else:
        writer.text("本季度没有被升级督办的单位。")
    _notes(writer, bulletin.notes, "criticism")
    writer.heading(next(headings))
    writer.text(
        "各单位要对照本通报，对逾期和未回复的事项逐项整改，按照督办要求及时书面反馈；"
        "受到通报批评的单位主要领导要亲自过问，限期完成。"
    )
    _notes(writer, bulletin.notes, "requirements")
    _finish(writer, bulletin.heading)
    tick(3, 3)
    return writer.to_bytes()


# -- seed 002's 月通报 -----------------------------------------------------------------------


def bulletin_title(year: int, month: int) -> str:
    return f"关于{year}年{month}月重点工作督查情况的通报"


def compose_monthly_bulletin(bulletin: MonthlyBulletin, progress: Progress | None = None) -> bytes:
    """Seed 002: 实行月通报制度，每月5日前催办进度，对进度不理想的下发督查通知单."""
    tick = progress or (lambda done, total: None)
    writer = _start(bulletin.heading, bulletin_title(bulletin.year, bulletin.month))
    writer.salutation("各单位、各部门：")
    writer.text(
        f"按照月通报制度，现将{bulletin.year}年{bulletin.month}月重点工作推进和督查情况通报如下"
        f"（数据截至{bulletin.as_of.year}年{md(bulletin.as_of)}）："
    )
    headings = iter(f"{_heading_number(i)}、{title}" for i, (_, title) in enumerate(BULLETIN_SECTIONS))
    departments = bulletin.departments
    writer.heading(next(headings))
    done = sum(d.done for d in departments)
    open_ = sum(d.open for d in departments)
    slow = sum(d.red for d in departments)
    writer.text(f"本月督查重点工作事项{done + open_}项，已完成{done}项，正在推进{open_}项，其中进度不理想{slow}项。")
    if departments:
        writer.table(
            [Column("单位", weight=2), Column("事项", True, align="center"), Column("已完成", True, align="center"),
             Column("推进中", True, align="center"), Column("进度不理想", True, align="center")],
            [*([d.department, d.total, d.done, d.open, d.red] for d in departments),
             ["合计", done + open_, done, open_, slow]],
            total_row=True,
        )
    slow_matters = [m for m in bulletin.matters if m.status == "open" and m.light == "red"]
    if slow_matters:
        writer.text("进度不理想的事项：" + "；".join(f"{m.department}“{m.title}”" for m in slow_matters[:MAX_LISTED]) + "。")
    _notes(writer, bulletin.notes, "overview")
    tick(1, 3)
    writer.heading(next(headings))
    live = [p for p in bulletin.papers if p.state != "voided"]
    round_kinds = {k for k, _ in bulletin.rounds}
    notices = [p for p in live if p.kind not in round_kinds]
    f = reply_figures(notices)
    writer.text(
        f"本月对进度不理想的单位下发督查通知单等督办文件{len(notices)}份，限期上报办理结果；"
        f"已按期反馈{f.on_time}份，逾期反馈{f.late}份，未反馈{f.missing}份，尚未到期{f.pending}份。"
    )
    unanswered = [p for p in notices if p.replied_on is None and p.state in ("overdue", "escalated")]
    if unanswered:
        writer.table(
            [Column("文号", True), Column("单位"), Column("反馈期限", True, align="center"), Column("状态", True, align="center")],
            [[p.number or "（未编号）", p.recipient, ymd(p.due_on), STATES.get(p.state, p.state)] for p in unanswered[:MAX_LISTED]],
        )
    _notes(writer, bulletin.notes, "notices")
    tick(2, 3)
    writer.heading(next(headings))
    wording = ("第一次督查：下发《{title}》，通报批评", "第二次督查：仍未按要求完成任务，{title}",
               "第三次督查：提请局党委、林业局追究责任（{title}）")
    if bulletin.rounds:
        for i, (kind, title) in enumerate(bulletin.rounds):
            items = [p for p in live if p.kind == kind]
            phrase = wording[i] if i < len(wording) else "第" + _heading_number(i) + "次督查：{title}"
            units = "、".join(dict.fromkeys(p.recipient for p in items))
            writer.text(f"{phrase.format(title=title)}{len(items)}份{'：' + units if units else ''}。")
    else:
        writer.text("本月未实施三次督查。")
    _notes(writer, bulletin.notes, "rounds")
    writer.heading(next(headings))
    writer.text("各单位要对照本通报，快办、快结、快反馈；对进度不理想的事项，于下月5日前将整改进度报党政办督查室。")
    _notes(writer, bulletin.notes, "requirements")
    _finish(writer, bulletin.heading)
    tick(3, 3)
    return writer.to_bytes()
