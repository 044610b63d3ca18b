"""The reports composed from constructed figures: every figure lands where a reader looks for it."""

from __future__ import annotations

import datetime as dt
import io

import docx

from docgen.services.reports.compose import compose_monthly, compose_monthly_bulletin, compose_quarterly
from docgen.services.reports.model import (
    CoordinationItem,
    DepartmentFigures,
    DueItem,
    Heading,
    MatterLine,
    MonthlyBulletin,
    MonthlyReport,
    PaperLine,
    ProgressLine,
    QuarterlyBulletin,
    UnitLine,
)
from tests.docx_text import text

D = dt.date
HEADING = Heading("东丽区卫生局", ("东丽区卫生局党办", "东丽区卫生局行政办公室"), D(2026, 12, 3), number="东卫月报〔2026〕11号")


def paper(number: str, recipient: str, state: str, **kw) -> PaperLine:
    base = dict(kind="supervision-prompt", kind_title="督办提示", issued_on=D(2026, 11, 2), due_on=D(2026, 11, 9))
    base.update(kw)
    return PaperLine(number=number, recipient=recipient, state=state, **base)


def month() -> MonthlyReport:
    papers = (
        paper("东卫督办〔2026〕1号", "医政科", "replied", replied_on=D(2026, 11, 6), on_time=True),
        paper("东卫督办〔2026〕2号", "疾控科", "replied", replied_on=D(2026, 11, 12), on_time=False),
        paper("东卫督办〔2026〕3号", "区人民医院", "escalated"),
        paper("东卫督办〔2026〕4号", "区人民医院", "overdue"),
        paper("东卫督办〔2026〕5号", "医政科", "issued", due_on=D(2026, 12, 4)),
        paper("东卫督办〔2026〕6号", "医政科", "voided"),
        paper("东卫督问〔2026〕1号", "区人民医院", "issued", kind="accountability-notice", kind_title="督查问责通知书",
              due_on=D(2026, 12, 2), follows="东卫督办〔2026〕3号"),
    )
    matters = (
        MatterLine("东卫督事〔2026〕1号", "完成社区卫生服务中心标准化建设", "医政科", "open", "red", D(2026, 11, 20),
                   progress=(ProgressLine(D(2026, 11, 5), "已完成3家", "资金未到位", "需协调财政局拨付资金"),)),
        MatterLine("东卫督事〔2026〕2号", "开展冬季流感防控", "疾控科", "done", "green", D(2026, 12, 31), closed_on=D(2026, 11, 25)),
        MatterLine("东卫督事〔2026〕3号", "推进家庭医生签约", "医政科", "open", "yellow", D(2026, 12, 10)),
    )
    return MonthlyReport(
        heading=HEADING, year=2026, month=11, as_of=D(2026, 11, 30),
        departments=(DepartmentFigures("医政科", green=0, yellow=1, red=1), DepartmentFigures("疾控科", done=1)),
        matters=matters, papers=papers,
        coordination=(CoordinationItem("医政科", "完成社区卫生服务中心标准化建设", "需协调财政局拨付资金", D(2026, 11, 5), "王副局长"),),
        next_month=(DueItem(D(2026, 12, 10), "医政科", "推进家庭医生签约", "签约率达到40%"),),
        notes={"overview": "总体平稳。", "coordination": "请局领导专题研究。"},
    )


def tables(content: bytes) -> list[list[list[str]]]:
    document = docx.Document(io.BytesIO(content))
    return [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]


def test_the_monthly_report_has_the_five_sections_figures_and_notes() -> None:
    content = compose_monthly(month())
    body = text(content)
    for heading in ("一、总体情况", "二、重点工作进展", "三、督办和问责情况", "四、存在问题和需要局领导协调的事项", "五、下月工作重点"):
        assert heading in body
    assert "关于2026年11月督查工作情况的报告" in body and "东卫月报〔2026〕11号" in body
    assert "督查事项3项，其中已报结1项，正在推进2项（绿灯0项、黄灯1项、红灯1项）" in body
    assert "本月各科室报送进展情况1次" in body
    # six live papers; five ask for a reply: on time 1, late 1, missing 2, pending 2 (the notice and No. 5)
    assert "下发督办类文件6份（督办提示5份、督查问责通知书1份）" in body
    assert "要求书面回复的6份，按时回复1份，逾期回复1份，逾期未回复2份，尚未到期2份；升级督办1份" in body
    assert "总体平稳。" in body and "请局领导专题研究。" in body
    assert "需协调财政局拨付资金" in body and "王副局长" in body
    found = tables(content)
    assert found[0][0] == ["责任科室", "事项", "已报结", "推进中", "黄灯", "红灯（逾期）"]
    assert found[0][1:] == [["医政科", "2", "0", "2", "1", "1"], ["疾控科", "1", "1", "0", "0", "0"], ["合计", "3", "1", "2", "1", "1"]]
    assert found[1][-1] == ["合计", "6", "1", "1", "2", "2"]
    unit_rows = {row[0]: row[1:] for row in found[2][1:]}
    assert unit_rows["区人民医院"] == ["3", "0", "0", "2", "1"]
    assert [r[0] for r in found[3][1:]] == ["东卫督办〔2026〕3号", "东卫督办〔2026〕4号"]
    assert found[4][1] == ["2026年12月10日", "医政科", "推进家庭医生签约", "签约率达到40%"]
    # the chart is in the document
    assert any(rel.reltype.endswith("/image") for rel in docx.Document(io.BytesIO(content)).part.rels.values())


def test_the_appendix_lists_every_paper_only_when_asked() -> None:
    report = month()
    assert "本月签发文件清单" not in text(compose_monthly(report))
    with_papers = compose_monthly(report, with_papers=True)
    body = text(with_papers)
    assert "2026年11月签发文件清单" in body
    numbers = {p.number for p in report.papers}
    listed = {row[1] for t in tables(with_papers)[5:] for row in t[1:]}
    assert numbers <= listed


def test_a_progress_callback_sees_every_step() -> None:
    seen = []
    compose_monthly(month(), with_papers=True, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (7, 7)


def test_the_quarterly_bulletin_praises_and_criticises() -> None:
    bulletin = QuarterlyBulletin(
        heading=HEADING, year=2026, quarter=4, as_of=D(2026, 12, 31),
        units=(
            UnitLine("区人民医院", done=1, in_progress=2, overdue=1, papers_received=3, replies_on_time=1, replies_missing=1,
                     escalations=("东卫督问〔2026〕1号",)),
            UnitLine("医政科", done=2, in_progress=1, papers_received=2, replies_on_time=2),
            UnitLine("疾控科", done=0, in_progress=1, papers_received=1, replies_late=1),
            # its reply is not due yet: not praised for a reply it has not sent
            UnitLine("区中医医院", in_progress=1, papers_received=1, replies_pending=1),
        ),
        notes={"requirements": "请各单位于1月10日前报送整改情况。"},
    )
    content = compose_quarterly(bulletin)
    body = text(content)
    assert "关于2026年第四季度督查工作情况的通报" in body
    assert "予以表扬：医政科。" in body
    assert "1.区人民医院（东卫督问〔2026〕1号）。" in body
    assert "请各单位于1月10日前报送整改情况。" in body
    rows = tables(content)[0]
    assert rows[1] == ["区人民医院", "1", "2", "1", "3", "0", "1"]
    assert rows[-1] == ["合计", "3", "5", "1", "7", "1", "1"]


def test_the_forestry_bulletin_speaks_of_the_three_rounds() -> None:
    bulletin = MonthlyBulletin(
        heading=Heading("xx林业局", ("xx林业局党政办督查室",), D(2026, 12, 8)), year=2026, month=11, as_of=D(2026, 11, 30),
        departments=(DepartmentFigures("营林科", done=1, green=1, red=1),),
        matters=(MatterLine("", "十项利民工程：棚户区改造", "营林科", "open", "red"),),
        papers=(
            paper("林督通〔2026〕1号", "营林科", "overdue", kind="supervision-notice", kind_title="督查通知单"),
            paper("林督整〔2026〕1号", "营林科", "issued", kind="rectification-notice", kind_title="整改通知书"),
        ),
        rounds=(("rectification-notice", "整改通知书"), ("yellow-card-warning", "黄牌警告"), ("accountability-referral", "提请追究责任")),
    )
    body = text(compose_monthly_bulletin(bulletin))
    assert "关于2026年11月重点工作督查情况的通报" in body and "各单位、各部门：" in body
    assert "按照月通报制度" in body and "下发督查通知单等督办文件1份" in body
    assert "第一次督查：下发《整改通知书》，通报批评1份：营林科。" in body
    assert "进度不理想1项" in body and "快办、快结、快反馈" in body


def test_the_report_passes_the_gb_t_9704_preflight_rules_it_keeps(tmp_path) -> None:
    import pytest

    preflight = pytest.importorskip("docgen.services.preflight")
    from docgen.config import load_settings
    from docgen.services.office import Office

    office = Office(load_settings({"DATA_DIR": str(tmp_path)}))
    problems = preflight.preflight(compose_monthly(month(), with_papers=True), office.to_pdf)
    kept = {"A4", "发文字号", "日期", "页码", "标题", "落款", "正文字号", "标题字号", "行字数", "行数", "文档属性"}
    assert [p for p in problems if p.rule in kept] == []
