"""The reports through the HTTP API and the CLI: figures read back from the .docx equal what the test made."""

from __future__ import annotations

import io
import re

import docx
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from docgen.cli import main as docgen_cli
from docgen.kinds import KINDS
from tests.conftest import token_for
from tests.docx_text import text


def issue_prompts(client, recipients: list[str]) -> list[str]:
    numbers = []
    for recipient in recipients:
        data = dict(KINDS["supervision-prompt"].example)
        data[KINDS["supervision-prompt"].recipient_field] = recipient
        for field in ("date", "issued_on", "日期"):
            data.pop(field, None)
        answer = client.post("/api/v1/documents/supervision-prompt", json=data)
        assert answer.status_code == 201, answer.json
        numbers.append(answer.json["number"])
    return numbers


def this_month(app) -> tuple[int, int]:
    today = app.extensions["docgen"].today()
    return today.year, today.month


def test_a_month_of_papers_makes_a_report_whose_figures_match(app, client) -> None:
    numbers = issue_prompts(client, ["区人民医院", "区人民医院", "卫生监督所"])
    year, month = this_month(app)
    answer = client.post("/api/v1/reports/monthly", json={"year": year, "month": month, "notes": {"overview": "本月总体平稳。"}})
    assert answer.status_code == 200, answer.json
    body = text(answer.data)
    assert f"关于{year}年{month}月督查工作情况的报告" in body
    assert "本月总体平稳。" in body
    assert "下发督办类文件3份（督办提示3份）" in body
    tables = [[[c.text for c in r.cells] for r in t.rows] for t in docx.Document(io.BytesIO(answer.data)).tables]
    units = next(t for t in tables if t[0][0] == "收文单位")
    assert {r[0]: r[1] for r in units[1:]} == {"区人民医院": "2", "卫生监督所": "1", "合计": "3"}
    # a draft takes no number
    assert not re.search(r"东卫督月报〔\d{4}〕\d+号", body)
    # the appendix lists every paper, numbers whole in one cell
    appendix = client.post("/api/v1/reports/monthly", json={"year": year, "month": month, "with_papers": True})
    listed = {c for t in docx.Document(io.BytesIO(appendix.data)).tables for r in t.rows for c in [r.cells[1].text]}
    assert set(numbers) <= listed


def test_issuing_numbers_the_report_gaplessly_and_leaders_only_download(app, client) -> None:
    issue_prompts(client, ["区人民医院"])
    year, month = this_month(app)
    first = client.post("/api/v1/reports/monthly", json={"year": year, "month": month, "issue": True})
    assert first.status_code == 201
    assert f"东卫督月报〔{year}〕1号" in text(first.data)
    leader = app.test_client(token=token_for(app, "局长", "leader"))
    refused = leader.post("/api/v1/reports/monthly", json={"year": year, "month": month, "issue": True})
    assert refused.status_code == 403
    assert leader.post("/api/v1/reports/monthly", json={"year": year, "month": month}).status_code == 200
    second = client.post("/api/v1/reports/monthly", json={"year": year, "month": month, "issue": True})
    assert f"东卫督月报〔{year}〕2号" in text(second.data)  # the refused request took no number


def test_a_future_month_or_an_empty_one_gets_a_clear_answer(app, client) -> None:
    year, month = this_month(app)
    future = client.post("/api/v1/reports/monthly", json={"year": year + 1, "month": month})
    assert future.status_code == 422 and future.json["error"] == "report_period_in_future"
    assert "还没有到" in future.json["message"]
    empty = client.post("/api/v1/reports/monthly", json={"year": 2020, "month": 1})
    assert empty.status_code == 422 and empty.json["error"] == "report_no_data"
    bad = client.post("/api/v1/reports/monthly", json={"year": year, "month": 13})
    assert bad.status_code == 422 and "month" in str(bad.json["details"])
    unknown = client.post("/api/v1/reports/monthly", json={"year": year, "month": month, "notes": {"praise": "x"}})
    assert unknown.status_code == 422
    assert client.post("/api/v1/reports/quarterly", json={"year": year + 1, "quarter": 1}).json["error"] == "report_period_in_future"


def test_the_quarterly_bulletin_and_the_form_page(app, client) -> None:
    issue_prompts(client, ["区人民医院", "卫生监督所"])
    year, month = this_month(app)
    answer = client.post("/api/v1/reports/quarterly", json={"year": year, "quarter": (month - 1) // 3 + 1})
    assert answer.status_code == 200, answer.json
    body = text(answer.data)
    assert "督查工作情况的通报" in body and "各单位收到督办类文件2份" in body.replace("共收到", "收到")
    page = client.get("/reports")
    assert page.status_code == 200 and "补充说明" in page.get_data(as_text=True)


@pytest.mark.slow
def test_the_pdf_comes_from_libreoffice_and_the_cli_has_a_progress_bar(app, client, data_dir, tmp_path) -> None:
    issue_prompts(client, ["区人民医院"])
    year, month = this_month(app)
    pdf = client.post("/api/v1/reports/monthly?format=pdf", json={"year": year, "month": month})
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert "督查工作情况的报告" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).replace(" ", "")
    out = tmp_path / "m.docx"
    result = CliRunner().invoke(docgen_cli, ["report", "monthly", f"{year}-{month:02d}", "-o", str(out)],
                                env={"DOCGEN_DATA_DIR": str(data_dir)})
    assert result.exit_code == 0, result.output
    assert "6/6" in result.output and out.stat().st_size > 10000
    future = CliRunner().invoke(docgen_cli, ["report", "monthly", f"{year + 1}-01"], env={"DOCGEN_DATA_DIR": str(data_dir)})
    assert future.exit_code == 2 and "还没有到" in future.output


def test_the_form_previews_the_first_page_and_says_what_is_wrong_in_chinese(app, client) -> None:
    issue_prompts(client, ["区人民医院"])
    year, month = this_month(app)
    page = client.get("/reports").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    shown = client.post("/reports/monthly", data={"csrf_token": token, "month": f"{year}-{month:02d}", "notes.overview": "平稳",
                                                  "action": "preview"})
    assert shown.status_code == 200
    assert 'src="data:image/png;base64,' in shown.get_data(as_text=True)
    future = client.post("/reports/monthly", data={"csrf_token": token, "month": f"{year + 1}-01", "action": "preview"})
    assert future.status_code == 422 and "还没有到" in future.get_data(as_text=True)
    download = client.post("/reports/monthly", data={"csrf_token": token, "month": f"{year}-{month:02d}", "action": "docx"})
    assert download.status_code == 200 and "平稳" not in text(download.data)
