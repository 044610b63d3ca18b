"""Papers drafted from the matters: a 督查工作台帐 or a 督查报告 from ``"from_matters"`` in its payload.

``{"from_matters": {"department", "as_of", "year", "month"}}`` (each optional):
the ledger lists the month's milestones, deadlines and overdue matters; the
report sums up one department's open matters as of the day. Fields the
payload gives beside it win.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from sqlalchemy import select

from docgen.errors import ErrorDetail, InvalidPayload
from docgen.kinds import Kind
from docgen.services.db import ProgressReport
from docgen.services.matters import LIGHTS, FromMattersIn, Matters, PeriodMatter, field_path, is_blank, period_matters, validated


def payload_from_matters(matters: Matters, kind: Kind, data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A 督查工作台帐 or 督查报告 payload made from the matters and their progress reports.

    ``data["from_matters"]`` is ``{"department", "as_of", "year", "month"}``
    (each optional); the other fields of DATA win over what the matters give.
    The ledger lists, for the month, each milestone and deadline due and each
    overdue matter; the report sums up one department's open matters as of
    the day: their lights, latest progress, problems, and what comes next.
    """
    loc = field_path(prefix, "from_matters")
    spec = validated(FromMattersIn, data.get("from_matters") or {}, "from_matters 的内容有误", loc)
    rest = {k: v for k, v in data.items() if k != "from_matters"}
    as_of = spec.as_of or matters.today()
    if kind.id == "supervision-ledger":
        made = _ledger_from_matters(matters, spec, as_of, loc)
    elif kind.id == "supervision-report":
        department = spec.department or (rest.get("department") if isinstance(rest.get("department"), str) else None)
        if not department:
            raise InvalidPayload("请指明科室", [ErrorDetail(field_path(loc, "department"), "督查报告按科室生成：必填")])
        made = _report_from_matters(matters, department, as_of, loc)
    else:
        raise InvalidPayload(f"{kind.title}不能从督查事项生成", [ErrorDetail(loc, "只有督查工作台帐和督查报告可以从督查事项生成")])
    return made | {k: v for k, v in rest.items() if not is_blank(v)}


def _open_views(matters: Matters, department: str | None, as_of: dt.date) -> list[PeriodMatter]:
    return [m for m in period_matters(matters.office, as_of, as_of, as_of)
            if m.status == "open" and (department is None or m.view.department == department)]


def _ledger_from_matters(matters: Matters, spec: FromMattersIn, as_of: dt.date, loc: str) -> dict[str, Any]:
    year = spec.year or as_of.year
    month = spec.month or as_of.month
    start, end = dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
    rows = []
    for m in period_matters(matters.office, start, end, as_of):
        v = m.view
        if m.status == "cancelled" or (spec.department and v.department != spec.department):
            continue
        due = [(x.due_on, f"{v.title}：{x.measure}" + ("（已完成）" if x.done_on and x.done_on <= as_of else ""))
               for x in v.milestones if x.due_on and start <= x.due_on <= end]
        if start <= v.deadline <= end:
            due.append((v.deadline, f"{v.title}：办结时限" + ("（已报结）" if m.status == "done" else "")))
        if not due and v.light == "red" and m.status == "open":
            due.append((min(max(as_of, start), end), f"{v.title}：{v.light_reason}"))
        rows += [{"date": d.isoformat(), "department": v.department, "points": text[:20000]} for d, text in due]
    if not rows:
        raise InvalidPayload(f"{year}年{month}月没有到期或逾期的督查事项，无法生成督查工作台帐",
                             [ErrorDetail(loc, "该月没有到期的节点、办结时限或逾期事项")])
    rows.sort(key=lambda r: (r["date"], r["department"]))
    return {"year": year, "month": month, "rows": rows[:500]}


def _report_from_matters(matters: Matters, department: str, as_of: dt.date, loc: str) -> dict[str, Any]:
    open_matters = _open_views(matters, department, as_of)
    if not open_matters:
        raise InvalidPayload(f"{department}没有在办的督查事项，无法生成督查报告", [ErrorDetail(field_path(loc, "department"), "没有在办的督查事项")])
    content, results, next_steps = [], [], []
    with matters.register.reading() as session:
        for i, m in enumerate(open_matters, start=1):
            v = m.view
            content.append(f"{i}.{v.title}（{v.code}，办结时限{v.deadline.isoformat()}）")
            latest = session.execute(
                select(ProgressReport).where(ProgressReport.matter_id == v.id, ProgressReport.reported_on <= as_of)
                .order_by(ProgressReport.reported_on.desc(), ProgressReport.id.desc()).limit(1)
            ).scalar_one_or_none()
            line = f"{i}.{v.title}：{LIGHTS.get(v.light or '', '')}"
            if v.light_reason:
                line += f"（{v.light_reason}）"
            line += f"；{latest.reported_on.isoformat()}报告：{latest.progress}" if latest else "；尚未报送进展"
            if latest is not None and latest.problems:
                line += f"；存在问题：{latest.problems}"
            results.append(line)
            coming = [x for x in m.undone_milestones if x.due_on and x.due_on <= as_of + dt.timedelta(days=31)]
            for x in coming:
                next_steps.append(f"{v.title}：{x.due_on.isoformat()}前{x.measure}")
            if latest is not None and latest.needs_coordination:
                next_steps.append(f"{v.title}：提请局领导协调{latest.needs_coordination}")
    return {
        "department": department,
        "date": as_of.isoformat(),
        "content": "\n".join(content),
        "result": "\n".join(results),
        "improvements": "\n".join(next_steps) or "按计划推进各督查事项，按时报送进展情况。",
        "report_date": as_of.isoformat(),
    }
