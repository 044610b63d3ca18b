"""The signing packet: cover, bookmarks, duplex blank pages, page numbers, empty signature fields.

Real LibreOffice (the office's converter) makes the papers and the cover.
"""

from __future__ import annotations

import io
import zipfile

import pdfplumber
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pypdf import PdfReader

from docgen.services.batch import convert_papers, join_documents
from docgen.services.packet import (
    PacketEntry,
    build_packet,
    cover_docx,
    file_list_cover,
    page_count,
    read_pages,
    signature_box,
    split_by_page_numbers,
)
from tests.conftest import example


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One app (one LibreOffice pool) for the module."""
    from docgen import create_app

    return create_app({"DATA_DIR": str(tmp_path_factory.mktemp("packet")), "TESTING": True, "SECRET_KEY": "test"})


def prompt(recipient: str, matter: str = "院感防控") -> dict:
    return {"recipient": recipient, "matter": matter, "findings": ["落实进展缓慢"], "reply_days": 5}


@pytest.fixture
def papers(office) -> list[PacketEntry]:
    """Four drafts: a one-page prompt, a longer prompt, a report, a ledger."""
    made = [
        ("东卫督办〔2026〕7号", "区人民医院", office.draft("supervision-prompt", prompt("区人民医院"), "pdf")),
        ("东卫督办〔2026〕8号", "区中医院", office.draft("supervision-prompt", prompt("区中医院", "医疗质量安全管理" * 36), "pdf")),
        ("东卫督报〔2026〕3号", "医政科", office.draft("supervision-report", example("supervision-report"), "pdf")),
        ("督查工作台帐", "两办", office.draft("supervision-ledger", example("supervision-ledger"), "pdf")),
    ]
    return [PacketEntry(f.content, label, recipient, f.filename.split("-")[0]) for label, recipient, f in made]


def page_texts(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [page.extract_text() or "" for page in doc.pages]


def page_words(pdf: bytes) -> list[list[tuple[str, float, float]]]:
    """Every word of every page where it stands (a footer on the wrong side would show)."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [[(w["text"], round(w["x0"], 1), round(w["top"], 1)) for w in page.extract_words()] for page in doc.pages]


def widgets(reader: PdfReader) -> dict[str, tuple[int, list[float]]]:
    """Signature widget name -> (page index, rect)."""
    out = {}
    for index, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/FT") == "/Sig":
                out[annot["/T"]] = (index, [float(v) for v in annot["/Rect"]])
    return out


def test_packet_cover_bookmarks_duplex_page_numbers_and_signature_fields(office, papers) -> None:
    counts = [page_count(p.pdf) for p in papers]
    assert counts[0] == 1 and counts[1] >= 2  # the longer prompt runs over a page
    packet, placed = build_packet(papers, duplex=True, to_pdf=office.to_pdf, subtitle="督办提示　共 4 份")
    reader = PdfReader(io.BytesIO(packet))
    texts = page_texts(packet)

    # the cover lists every paper: 序号, 文号, 标题, 收文单位 (nothing on it waits for the papers' PDFs)
    cover = texts[0]
    for word in ("签批单", "序号", "文号", "标题", "收文单位", "东卫督办〔2026〕7号", "区中医院", "督查报告", "督查工作台帐"):
        assert word in cover
    assert "文件清单（共 4 份）" in cover

    # one bookmark per paper, on its first page; the cover's first
    outline = [(item.title, reader.get_destination_page_number(item)) for item in reader.outline]
    assert outline[0] == ("签批单", 0)
    assert outline[1:] == [(f"{p.label} {p.recipient}", where.first_page) for p, where in zip(papers, placed, strict=True)]

    # duplex: every paper starts on an odd page side; the blank pages between have nothing, no number either
    starts = [where.first_page for where in placed]
    assert all(start % 2 == 0 for start in starts)
    covered = set()
    for where in placed:
        covered |= set(range(where.first_page, where.first_page + where.pages))
    blanks = [i for i in range(len(texts)) if i not in covered and i >= starts[0]]
    assert len(blanks) == sum(n % 2 for n in counts)
    assert all(texts[i].strip() == "" for i in blanks)
    assert len(reader.pages) == starts[0] + sum(counts) + len(blanks)

    # page numbers restart at — 1 — on each paper's first page, and run on within it
    for where, paper in zip(placed, papers, strict=True):
        assert "— 1 —" in texts[where.first_page]
        if where.pages > 1:
            assert "— 2 —" in texts[where.first_page + 1]
        assert (paper.recipient in "".join(texts[where.first_page:where.first_page + where.pages])) or paper.recipient == "两办"
    assert "— 1 —" not in cover

    # one empty signature field per paper on its last page, and the leader's on the cover
    fields = reader.get_fields()
    assert set(fields) == {"签批"} | {f"签章_{i}" for i in range(1, 5)}
    assert all(f.get("/FT") == "/Sig" and f.get("/V") is None for f in fields.values())
    placed_widgets = widgets(reader)
    cover_page = placed_widgets["签批"][0]
    assert cover_page < starts[0] and "签批人" in texts[cover_page]
    for i, where in enumerate(placed, start=1):
        page, rect = placed_widgets[f"签章_{i}"]
        assert page == where.first_page + where.pages - 1
        assert rect == pytest.approx(list(where.field_box), abs=0.2)
    signed = list(enumerate_sig_fields(PdfFileReader(io.BytesIO(packet))))
    assert len(signed) == 5 and all(value is None for _, value, _ in signed)  # none signed yet


def test_seal_box_covers_the_issuing_offices_and_the_date(office, papers) -> None:
    packet, placed = build_packet(papers[:1], to_pdf=office.to_pdf)
    with pdfplumber.open(io.BytesIO(packet)) as doc:
        page = doc.pages[placed[0].field_page]
        words = {w["text"]: w for w in page.extract_words()}
        height = float(page.height)
    x0, y0, x1, y1 = placed[0].field_box
    for text in ("东丽区卫生局党办", "东丽区卫生局行政办公室"):
        word = words[text]
        assert x0 <= word["x0"] and word["x1"] <= x1
        assert y0 <= height - word["bottom"] and height - word["top"] <= y1
    date = next(w for t, w in words.items() if t.endswith("日"))
    assert y0 <= height - date["bottom"] and x0 <= date["x0"] and date["x1"] <= x1


def test_seal_box_of_a_paper_without_signature_block(office) -> None:
    ledger = office.draft("key-work-ledger", example("key-work-ledger"), "pdf").content
    page = read_pages(ledger, [-1])[0]
    x0, y0, x1, y1 = signature_box(page)
    assert x1 <= page.width - 70 and x0 > page.width / 2 and y0 > 90 and y1 - y0 >= 100  # bottom right of the text block


def test_simplex_packet_has_no_blank_pages(office, papers) -> None:
    packet, placed = build_packet(papers, duplex=False, to_pdf=office.to_pdf)
    counts = [page_count(p.pdf) for p in papers]
    reader = PdfReader(io.BytesIO(packet))
    assert len(reader.pages) == placed[0].first_page + sum(counts)
    assert [p.first_page for p in placed] == [placed[0].first_page + sum(counts[:i]) for i in range(len(counts))]


def test_joined_conversion_gives_the_same_papers_as_one_by_one(office) -> None:
    """The batch's fast path: one LibreOffice pass for a run of papers, cut apart at — 1 —."""
    drafts = [office.draft("supervision-prompt", prompt(f"单位{i}", "院感防控工作" * (1 + 23 * (i % 3))), "docx").content for i in range(5)]
    joined = join_documents(drafts)
    assert joined is not None
    cut = split_by_page_numbers(office.to_pdf(joined), len(drafts))
    assert cut is not None and len(cut) == 5
    assert any(paper.pages >= 2 for paper in cut)  # an even page, with its footer on the other side
    for docx, paper in zip(drafts, cut, strict=True):
        alone = office.to_pdf(docx)
        assert page_words(paper.pdf) == page_words(alone)
        assert paper.pages == page_count(alone)
        assert paper.signature_box == signature_box(read_pages(alone, [-1])[0])
    assert [p.pdf for p in convert_papers(office, drafts[:1])][0][:5] == b"%PDF-"


def test_issued_papers_of_two_kinds_are_joined_and_cut_back_alike(office) -> None:
    """Issued papers each carry their own properties (title, number, date): they still join,
    and so do two kinds whose templates share styles, headers and footers."""
    ids = [office.issue("supervision-prompt", prompt(f"单位{i}")).document.id for i in range(2)]
    issued = [office.document_file(i, "docx").content for i in ids]
    assert issued[0] != issued[1]
    report = office.issue("supervision-report", example("supervision-report")).document.id
    docxs = [*issued, office.document_file(report, "docx").content]
    joined = join_documents(docxs)
    assert joined is not None
    cut = split_by_page_numbers(office.to_pdf(joined), len(docxs))
    assert cut is not None
    assert [page_words(p.pdf) for p in cut] == [page_words(office.to_pdf(d)) for d in docxs]


def test_join_refuses_papers_whose_styles_differ(office) -> None:
    """A kind with a template of its own (other styles) is converted apart, not joined."""
    one = office.draft("supervision-prompt", prompt("区人民医院"), "docx").content
    other = office.draft("supervision-prompt", prompt("区中医院"), "docx").content
    with zipfile.ZipFile(io.BytesIO(other)) as source:
        parts = {info: source.read(info) for info in source.infolist()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts.items():
            if info.filename == "word/styles.xml":
                assert b'w:val="32"' in data
                data = data.replace(b'w:val="32"', b'w:val="28"', 1)  # 16 pt becomes 14 pt
            target.writestr(info, data)
    assert join_documents([one, out.getvalue()]) is None
    assert join_documents([one, other]) is not None


def test_cut_refuses_a_pdf_without_page_numbers(office) -> None:
    entries = [PacketEntry(b"", "东卫督办〔2026〕1号", "区人民医院", "督办提示")]
    cover = office.to_pdf(cover_docx(file_list_cover(entries)))  # the cover has no page numbers
    assert split_by_page_numbers(cover, 1) is None


def test_the_leaders_field_follows_the_signer_label_and_no_number_breaks_on_the_cover(office) -> None:
    """The 签批 field covers the blank after 签批人：, not the label; a 文号 column as narrow as a
    monthly listing's keeps 东卫督月报〔2026〕100号 on one line (its width follows the numbers)."""
    from docgen.services.packet import Cover, CoverTable

    numbers = [f"东卫督月报〔2026〕{n}号" for n in (9, 10, 100)]
    listing = CoverTable(
        "本月签发文件（共 3 份）",
        ["序号", "文号", "标题", "收文单位", "成文日期", "回复期限", "状态"],
        [[str(i), number, "督办提示（院感防控）", "区人民医院和各社区卫生服务中心", "11月22日", "11月29日", "逾期未回复"]
         for i, number in enumerate(numbers, start=1)],
        [1.2, 4.2, 2.0, 2.4, 2.2, 2.2, 1.4],
        font_pt=10.5,
    )
    paper = office.draft("supervision-prompt", prompt("区人民医院"), "pdf").content
    packet, _ = build_packet([PacketEntry(paper, "东卫督办〔2026〕7号", "区人民医院", "督办提示")], duplex=False, to_pdf=office.to_pdf,
                             cover=Cover(title="2026年11月督查工作月报", tables=[listing]))
    with pdfplumber.open(io.BytesIO(packet)) as document:
        cover = document.pages[0]
        lines = ["".join(line["text"].split()) for line in cover.extract_text_lines()]
        assert all(any(number in line for line in lines) for number in numbers), lines
        signer = next(line for line in cover.extract_text_lines(return_chars=True) if line["text"].startswith("签批人"))
        label_end = signer["chars"][3]["x1"]  # 签批人：
        date_start = next(c["x0"] for c in signer["chars"] if c["text"] == "日")
    page, (x0, _, x1, _) = widgets(PdfReader(io.BytesIO(packet)))["签批"]
    assert page == 0
    assert label_end <= x0 < x1 <= date_start, (label_end, x0, x1, date_start)
