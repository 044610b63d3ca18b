"""The clerks' pages in a real browser: headless Chromium (Playwright) against
a real ``docgen serve`` (gunicorn, several workers, the LibreOffice pool).

Screenshots of the main pages go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from tests.conftest import service_today, xlsx

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--lang=zh-CN",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser():
    # ./dev installs Debian's chromium: its absence is a failure, not a skip
    assert Path(CHROMIUM).exists(), "Chromium is not installed at /usr/bin/chromium (./dev installs it)"
    from playwright import sync_api
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # 确定签发？
    # sign in as the administrator `docgen serve` created on its first start
    page.goto("/")
    page.fill("#login-name", "admin")
    page.fill("#login-password", live_server.admin_password())
    page.click("button:has-text('登录')")
    page.wait_for_selector("#signed-in-as")
    yield page
    context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def upload(page, selector: str, name: str, content: bytes) -> None:
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    page.set_input_files(selector, files=[{"name": name, "mimeType": mime, "buffer": content}])


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "doc.pdf"
    source.write_bytes(pdf)
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-layout", str(source), "-"], capture_output=True, check=True).stdout.decode("utf-8")
    else:
        import pdfplumber

        with pdfplumber.open(source) as doc:
            out = "\n".join(p.extract_text() or "" for p in doc.pages)
    return re.sub(r"\s+", "", out)


def test_fill_preview_issue_and_download_a_reminder(page, tmp_path):
    page.goto("/draft")
    assert page.locator("h1").inner_text() == "起草公文"
    shot(page, "01-home")
    page.get_by_role("link", name=re.compile("督办提示")).first.click()
    page.wait_for_url("**/kinds/supervision-prompt")
    assert page.locator("label[for=f-recipient]").inner_text().startswith("单位或科室")

    # submitting an empty form: errors next to the fields, nothing issued
    page.locator(".actions button[value=issue]").click()
    page.wait_for_selector("#errors")
    assert "必填" in page.locator("#f-recipient ~ .error-msg").first.inner_text()
    shot(page, "02-form-errors")

    page.fill("#f-recipient", "区人民医院")
    page.fill("#f-matter", "院感防控")
    page.get_by_label("落实进展缓慢").check()
    page.get_by_label("可能完不成任务").check()
    page.fill("#f-reply_days", "5")
    shot(page, "03-form")

    page.locator(".actions button[value=preview]").click()
    page.wait_for_selector("#preview")
    image = page.locator("#preview img").first
    assert image.get_attribute("src").startswith("data:image/png;base64,")
    assert image.evaluate("img => img.complete && img.naturalWidth > 300")
    # the input survives the round trip
    assert page.input_value("#f-recipient") == "区人民医院"
    shot(page, "04-preview")

    page.locator("#preview button[value=issue]").click()
    page.wait_for_selector("#doc-number")
    number = page.locator("#doc-number").inner_text().strip()
    assert re.fullmatch(r"东卫督办〔\d{4}〕\d+号", number), number
    assert "年" in page.locator("#issued-on").inner_text()
    assert page.locator("#due-on").count() == 1
    shot(page, "05-result")

    with page.expect_download() as info:
        page.click("#download-pdf")
    download = info.value
    assert download.suggested_filename.endswith(".pdf") and "督办提示" in download.suggested_filename
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert number in pdf_text(pdf, tmp_path)


def test_ledger_from_a_spreadsheet_then_preview(page):
    page.goto("/kinds/supervision-ledger")
    page.fill("#f-year", "2026")
    page.fill("#f-month", "11")
    sheet = xlsx([
        ["督查时间", "责任科室和单位", "督查要点"],
        ["2026-11-03", "医政科、区人民医院", "院感防控制度落实情况"],
        ["2026-11-10", "疾控科、各社区卫生服务中心", "冬季传染病防控准备情况"],
        ["2026-11-17", "妇幼科", "孕产妇系统管理工作"],
    ])
    upload(page, "#f-upload", "十一月督查台帐.xlsx", sheet)
    page.click("button[value=upload]")
    page.wait_for_selector("#notice")
    assert "读取 3 行" in page.inner_text("#notice")
    assert page.input_value("[name='rows.2.points']") == "孕产妇系统管理工作"
    assert page.input_value("[name='rows.0.date']") == "2026-11-03"
    assert page.input_value("#f-month") == "11"

    # 添加一行 / 删除 keep the rows numbered
    page.click("[data-add-row=rows]")
    assert page.locator("table[data-rows=rows] tbody tr").count() == 4
    page.fill("[name='rows.3.department']", "临时")
    page.locator("table[data-rows=rows] tbody tr").nth(0).locator("[data-delete-row]").click()
    assert page.locator("table[data-rows=rows] tbody tr").count() == 3
    assert page.input_value("[name='rows.0.points']") == "冬季传染病防控准备情况"
    assert page.input_value("[name='rows.2.department']") == "临时"
    page.locator("table[data-rows=rows] tbody tr").nth(2).locator("[data-delete-row]").click()

    page.locator(".actions button[value=preview]").click()
    page.wait_for_selector("#preview img")
    assert page.locator("#errors").count() == 0
    assert page.locator("table[data-rows=rows] tbody tr").count() == 2
    shot(page, "06-ledger-preview")


def test_spreadsheet_with_a_bad_row_names_row_and_column(page):
    page.goto("/kinds/supervision-ledger")
    page.fill("#f-year", "2026")
    page.fill("#f-month", "11")
    sheet = xlsx([
        ["督查时间", "责任科室和单位", "督查要点"],
        ["2026-11-03", "医政科", "院感防控"],
        ["2026-11-10", "疾控科", None],
    ])
    upload(page, "#f-upload", "台帐.xlsx", sheet)
    page.click("button[value=upload]")
    page.wait_for_selector("#errors")
    near_upload = page.locator("fieldset.upload .error-msg").all_inner_texts()
    assert any("第3行「督查要点」" in m for m in near_upload), near_upload
    assert "第3行「督查要点」" in page.inner_text("#errors")
    assert page.input_value("#f-year") == "2026"
    shot(page, "07-upload-error")

    # a file of the wrong type
    page.set_input_files("#f-upload", files=[{"name": "说明.txt", "mimeType": "text/plain", "buffer": "你好".encode()}])
    page.click("button[value=upload]")
    page.wait_for_selector("#errors")
    assert "不支持这种文件" in page.inner_text("fieldset.upload")


def test_register_search_void_and_overdue(page, live_server):
    for recipient, issued_on in (("区中医医院", "2025-03-03"), ("区妇幼保健院", None)):
        body = {"recipient": recipient, "matter": "中药饮片管理", "findings": ["工作未落实"], "reply_days": 3}
        if issued_on:
            body["issued_on"] = issued_on
            body["date_reason"] = "补录"  # a fixed day, however far from today
        answer = requests.post(f"{live_server.url}/api/v1/documents/supervision-prompt", json=body, headers=live_server.headers, timeout=30)
        assert answer.status_code == 201

    page.goto("/register")
    shot(page, "08-register")
    page.fill("#q-recipient", "中医")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**/register?*")
    rows = page.locator("table.register tbody tr")
    assert rows.count() == 1
    assert "已逾期" in rows.first.inner_text()

    # 起草问责通知书 opens the form with the reminder's number
    number = rows.first.locator("td.number").inner_text().strip()
    rows.first.get_by_role("link", name="起草问责通知书").click()
    page.wait_for_url("**/kinds/accountability-notice?*")
    assert page.input_value("#f-prompt_number") == number

    page.goto("/register?recipient=妇幼")
    row = page.locator("table.register tbody tr").first
    row.locator("summary").click()
    row.locator("input[name=reason]").fill("收文单位写错，重新签发")
    row.locator("button[type=submit]").click()
    page.wait_for_selector(".alert-success")
    assert "已作废" in page.locator("table.register tbody tr").first.inner_text()


def test_batch_of_three_to_the_end(page):
    page.goto("/batches/new")
    page.select_option("#f-kind", "supervision-prompt")
    sheet = xlsx([
        ["单位或科室", "督查发现的工作", "存在问题", "回复期限（日）"],
        ["区人民医院", "院感防控", "落实进展缓慢", 5],
        ["区中医医院", "中药饮片管理", "工作未落实、落实不彻底", 5],
        ["区妇幼保健院", "孕产妇系统管理", "可能完不成任务", 7],
    ])
    upload(page, "#f-upload", "督办提示.xlsx", sheet)
    page.check("input[name=mode][value=issue]")
    shot(page, "09-batch-new")
    page.click("#start-batch")
    page.wait_for_url(re.compile(r".*/batches/[^/]+$"))
    page.wait_for_selector("#batch-status")
    shot(page, "10-batch-progress")
    page.wait_for_selector("#packet-link:visible", timeout=60_000)
    assert "3 / 3" in page.inner_text("#batch-count")
    shot(page, "11-batch-done")
    href = page.get_attribute("#packet-link", "href")
    packet = page.request.get(href)
    assert packet.status == 200 and packet.body().startswith(b"%PDF")
    zip_href = page.get_attribute("#zip-link", "href")
    assert page.request.get(zip_href).body()[:2] == b"PK"


def test_the_dashboard_shows_an_overdue_reminder_with_its_next_step(page, live_server):
    import datetime as dt

    day = (service_today() - dt.timedelta(days=10)).isoformat()
    body = {"recipient": "区口腔医院", "matter": "院感防控", "findings": ["工作未落实"], "reply_days": 3, "issued_on": day,
            "count_calendar_days": True, "date_reason": "补录"}
    answer = requests.post(f"{live_server.url}/api/v1/documents/supervision-prompt", json=body, headers=live_server.headers, timeout=30)
    assert answer.status_code == 201, answer.text
    number = answer.json()["number"]
    page.goto("/")
    assert page.locator("h1").inner_text() == "工作台"
    assert page.locator("#duties h2").inner_text().startswith("近 14 天的报告日程")
    row = page.locator(f"tr.overdue[data-id='{answer.json()['id']}']")
    assert "已逾期" in row.inner_text() and "区口腔医院" in row.inner_text()
    shot(page, "12-dashboard")
    row.get_by_role("link", name="起草督查问责通知书").click()
    page.wait_for_url("**/kinds/accountability-notice?**")
    assert page.input_value("[name=prompt_number]") == number


def test_a_written_reply_recorded_on_the_papers_page_takes_it_off_the_dashboard(page, live_server):
    import datetime as dt

    day = (service_today() - dt.timedelta(days=10)).isoformat()
    body = {"recipient": "区眼科医院", "matter": "医疗废物处置", "findings": ["落实进展缓慢"], "reply_days": 3, "issued_on": day,
            "count_calendar_days": True, "date_reason": "补录"}
    answer = requests.post(f"{live_server.url}/api/v1/documents/supervision-prompt", json=body, headers=live_server.headers, timeout=30)
    assert answer.status_code == 201, answer.text
    paper_id = answer.json()["id"]
    page.goto(f"/documents/{paper_id}")
    assert page.locator("#paper-state").inner_text() == "已逾期"
    page.fill("#reply-summary", "已完成医疗废物规范处置整改")
    page.set_input_files("#reply-file", files=[{"name": "整改报告.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 reply"}])
    page.click("button:has-text('登记回复')")
    page.wait_for_selector("#reply")
    assert page.locator("#paper-state").inner_text() == "已回复"
    assert "已完成医疗废物规范处置整改" in page.locator("#reply").inner_text() and "逾期" in page.locator("#reply").inner_text()
    shot(page, "13-reply-recorded")
    page.goto("/")
    assert page.locator(f"tr[data-id='{paper_id}']").count() == 0
