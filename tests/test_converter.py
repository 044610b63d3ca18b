"""The PDF converter, against a real LibreOffice (nothing mocked).

Needs: soffice (LibreOffice Writer), /usr/bin/python3 with python3-uno,
fonts-noto-cjk, fonts-lxgw-wenkai or fonts-arphic-ukai. Skipped as a whole when
soffice or the uno Python is missing (except the "missing soffice" test).
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pdfplumber
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from pypdf import PdfReader

from docgen.converter import (
    FONTS_CONF,
    Converter,
    LocalPool,
    RemoteConverter,
    check_pdf,
    get_converter,
    run_pool_process,
    serve_pool,
)
from docgen.errors import ConverterUnavailable

KEY = b"test-key"

HAVE_SOFFICE = shutil.which("soffice") is not None
HAVE_UNO = (
    subprocess.run(["/usr/bin/python3", "-I", "-c", "import uno"], capture_output=True).returncode == 0
    if os.path.exists("/usr/bin/python3")
    else False
)
# ./dev installs LibreOffice and python3-uno: their absence is a failure, not a skip
needs_office = pytest.mark.usefixtures("office_installed")


@pytest.fixture
def office_installed():
    assert HAVE_SOFFICE, "soffice is not installed (./dev installs libreoffice-writer-nogui)"
    assert HAVE_UNO, "/usr/bin/python3 cannot import uno (./dev installs python3-uno)"


# (eastAsia font name, text) — the names official templates use
SAMPLES = [
    ("仿宋_GB2312", "为深入贯彻落实中央八项规定精神仿宋正文"),
    ("方正小标宋简体", "关于开展专项督查工作的通知"),
    ("黑体", "一、总体要求黑体"),
    ("楷体_GB2312", "（一）工作目标楷体"),
    ("宋体", "附件说明宋体内容示例"),
]
# which embedded font each must end up in (name without the subset prefix)
EXPECTED_FONT = {
    "仿宋_GB2312": r"^FandolFang-Regular",  # the free 仿宋 (./dev extracts it)
    "宋体": r"^NotoSerifCJK\w*-Regular",
    "方正小标宋简体": r"^NotoSerifCJK\w*-Bold",  # heaviest installed weight
    "黑体": r"^NotoSansCJK\w*-Regular",
    "楷体_GB2312": r"^(LXGWWenKai|UKai|ARPLUKai)",
}
BAD_FONT = re.compile(r"DejaVu|Liberation|FreeSans|FreeSerif|Carlito|Caladea|OpenSymbol", re.I)
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def make_docx(samples=SAMPLES, *, all_slots: bool = False, marker: str = "", pages: int = 1) -> bytes:
    """A small official-looking DOCX; eastAsia fonts set the way templates do.

    ``all_slots`` also sets ascii/hAnsi (as many templates do), so even the
    digits use the Chinese face. ``pages`` > 1 makes a longer (slower) document.
    """
    doc = Document()
    for page in range(pages):
        for name, text in samples:
            para = doc.add_paragraph()
            run = para.add_run(f"{text}{marker} 2024年")
            run.font.size = Pt(16)  # 三号
            if all_slots:
                run.font.name = name  # ascii + hAnsi
            rpr = run._element.get_or_add_rPr()
            rpr.get_or_add_rFonts()
            run._element.rPr.rFonts.set(qn("w:eastAsia"), name)
        if page < pages - 1:
            doc.add_page_break()
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def pdf_text(pdf: bytes) -> str:
    """The PDF's text without whitespace (extraction puts spaces between CJK and digits)."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in doc.pages))


def char_fonts(pdf: bytes) -> list[tuple[str, str]]:
    """(character, embedded font name without subset prefix) for every glyph."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [(c["text"], c["fontname"].split("+", 1)[-1]) for page in doc.pages for c in page.chars]


# --- glyph-level proof that the Noto CJK faces used are the SC ones ---------- #
#
# Noto CJK ships as super-OTC collections whose faces (JP, KR, SC, TC, HK) share
# ONE CFF table, internally named "NotoSerifCJKjp-…". LibreOffice names the
# embedded font after that CFF name, so pdffonts always says "…CJKjp…", whatever
# face was used. What differs between the faces is the cmap: the same character
# maps to different glyphs (CIDs) — the mainland forms in SC. LibreOffice keeps
# the CIDs as glyph names (/cid12345), so we check them against the SC cmap.


def _ttc_cmaps(path: Path) -> dict[str, dict[int, int]]:
    data = path.read_bytes()
    if data[:4] == b"ttcf":
        count = struct.unpack(">L", data[8:12])[0]
        offsets = struct.unpack(f">{count}L", data[12 : 12 + 4 * count])
    else:
        offsets = (0,)
    faces = {}
    for off in offsets:
        tables = {}
        for k in range(struct.unpack(">H", data[off + 4 : off + 6])[0]):
            tag, _, toff, tlen = struct.unpack(">4sLLL", data[off + 12 + 16 * k : off + 28 + 16 * k])
            tables[tag] = toff
        name_off = tables[b"name"]
        _, count, str_off = struct.unpack(">HHH", data[name_off : name_off + 6])
        psname = None
        for k in range(count):
            pid, _, _, nid, length, noff = struct.unpack(">HHHHHH", data[name_off + 6 + 12 * k : name_off + 18 + 12 * k])
            if pid == 3 and nid == 6:
                start = name_off + str_off + noff
                psname = data[start : start + length].decode("utf-16-be")
        cmap_off = tables[b"cmap"]
        sub = None
        for k in range(struct.unpack(">H", data[cmap_off + 2 : cmap_off + 4])[0]):
            pid, eid, soff = struct.unpack(">HHL", data[cmap_off + 4 + 8 * k : cmap_off + 12 + 8 * k])
            if (pid, eid) in ((3, 10), (0, 4), (0, 6)):
                sub = cmap_off + soff
        cmap = {}
        if sub is not None and struct.unpack(">H", data[sub : sub + 2])[0] == 12:
            for g in range(struct.unpack(">L", data[sub + 12 : sub + 16])[0]):
                first, last, gid = struct.unpack(">LLL", data[sub + 16 + 12 * g : sub + 28 + 12 * g])
                for cp in range(first, last + 1):
                    cmap[cp] = gid + cp - first
        faces[psname] = cmap
    return faces


_CMAP_CACHE: dict[str, dict[str, dict[int, int]]] = {}


def noto_cmaps(kind: str, weight: str) -> dict[str, dict[int, int]]:
    key = f"Noto{kind}CJK-{weight}.ttc"
    if key not in _CMAP_CACHE:
        found = list(Path("/usr/share/fonts").rglob(key))
        assert found, f"{key} not installed (fonts-noto-cjk)"
        _CMAP_CACHE[key] = _ttc_cmaps(found[0])
    return _CMAP_CACHE[key]


def noto_cids(pdf: bytes) -> list[tuple[str, str, int]]:
    """(embedded font, character, CID) for every glyph set in a Noto CJK font."""
    out = []
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        for ref in fonts.values():
            font = ref.get_object()
            name = str(font["/BaseFont"]).lstrip("/").split("+", 1)[-1]
            if not re.match(r"Noto(Serif|Sans)CJK", name):
                continue
            desc = font["/FontDescriptor"].get_object()
            assert "/FontFile" in desc, f"{name}: expected an embedded Type 1 font"
            prog = desc["/FontFile"].get_object()
            clear = prog.get_data()[: prog["/Length1"]].decode("latin-1")
            code_cid = {int(c): int(cid) for c, cid in re.findall(r"dup (\d+) /cid(\d+) put", clear)}
            tounicode = font["/ToUnicode"].get_object().get_data().decode("latin-1")
            code_uni = {}
            for block in re.findall(r"beginbfchar(.*?)endbfchar", tounicode, re.S):
                for code, uni in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                    code_uni[int(code, 16)] = bytes.fromhex(uni).decode("utf-16-be")
            for block in re.findall(r"beginbfrange(.*?)endbfrange", tounicode, re.S):
                for lo, hi, uni in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                    for i in range(int(lo, 16), int(hi, 16) + 1):
                        code_uni[i] = chr(int(uni, 16) + i - int(lo, 16))
            for code, cid in code_cid.items():
                if code in code_uni:
                    out.append((name, code_uni[code], cid))
    return out


def assert_sc_faces(pdf: bytes, samples=SAMPLES) -> None:
    """Every CJK character is set in the expected SC face; none in a Latin/JP/KR face."""
    chars = char_fonts(pdf)
    assert chars, "no text in the PDF"
    for ch, font in chars:
        if CJK.match(ch):
            assert not BAD_FONT.search(font), f"{ch!r} set in fallback font {font}"
    text_fonts = "".join(ch for ch, _ in chars)
    for name, text in samples:
        start = text_fonts.find(text)
        assert start >= 0, f"{text} not found in the PDF text"
        used = {font for _, font in chars[start : start + len(text)]}
        for font in used:
            assert re.match(EXPECTED_FONT[name], font), f"{name}: {text} set in {font}"
    # glyph level: the Noto CJK glyphs are the SC ones, not JP/KR/TC
    checked = discriminating = 0
    for font, ch, cid in noto_cids(pdf):
        if not CJK.match(ch):
            continue
        kind = "Serif" if "Serif" in font else "Sans"
        weight = "Bold" if "-Bold" in font else "Regular"
        faces = noto_cmaps(kind, weight)
        sc = faces[f"Noto{kind}CJKsc-{weight}"][ord(ch)]
        assert cid == sc, f"{ch!r} in {font}: glyph {cid} is not the SC glyph {sc}"
        others = {faces[f"Noto{kind}CJK{v}-{weight}"].get(ord(ch)) for v in ("jp", "kr", "tc")}
        checked += 1
        discriminating += sc not in others
    # the 仿宋 sample is set in FandolFang (a GB 2312 face: mainland forms only), so fewer Noto glyphs discriminate
    assert checked >= 20 and discriminating >= 2, (checked, discriminating)


# --------------------------------------------------------------------------- #
# Fixtures
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    p = LocalPool(instances=2, timeout=30, max_jobs=500, work_dir=tmp_path_factory.mktemp("conv"))
    p.start()
    # start() does not wait for LibreOffice: the instances are still starting
    assert any(i["state"] != "ready" for i in p.status()["instances"]), "start() must not block"
    yield p
    p.close()


@pytest.fixture(scope="module")
def docx_one() -> bytes:
    return make_docx()


def own_processes(base: Path) -> list[str]:
    """Live processes whose command line mentions ``base`` (our profiles, our worker)."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{name}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            state = Path(f"/proc/{name}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if str(base) in cmd and state not in (b"Z", b"X"):
            out.append(f"{name} {cmd[:120]}")
    return out


def pid_alive(pid: int | None) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except (OSError, IndexError):
        return False


# --------------------------------------------------------------------------- #
# Output checks (no LibreOffice needed)
# --------------------------------------------------------------------------- #


def test_check_pdf_rejects_bad_output():
    with pytest.raises(ValueError, match="%PDF-"):
        check_pdf(b"<html>oops</html>" * 200)
    with pytest.raises(ValueError, match="%%EOF"):
        check_pdf(b"%PDF-1.7\n" + b"x" * 5000)
    with pytest.raises(ValueError, match="过小"):
        check_pdf(b"%PDF-1.7\n%%EOF\n")
    with pytest.raises(ValueError, match="无法解析|没有页面"):
        check_pdf(b"%PDF-1.7\n" + b"0" * 2000 + b"\n%%EOF\n")


def test_missing_soffice_fails_fast(tmp_path):
    p = LocalPool(instances=2, soffice="/nonexistent/soffice", work_dir=tmp_path)
    with pytest.raises(ConverterUnavailable) as info:
        p.to_pdf(b"PK whatever")
    assert info.value.status == 503
    assert "找不到 LibreOffice" in info.value.message
    st = p.status()
    assert st["ok"] is False and "找不到 LibreOffice" in st["error"]
    p.close()


@needs_office
def test_python_without_uno_fails_fast(tmp_path, docx_one):
    # the virtualenv's interpreter has no uno: a clear error, no retries, no hang
    p = LocalPool(instances=1, python=sys.executable, work_dir=tmp_path)
    with pytest.raises(ConverterUnavailable, match="uno"):
        p.to_pdf(docx_one)
    assert p.status()["dead"] == 1
    p.close()


def test_get_converter_factory(tmp_path):
    settings = {"CONVERTER_URL": "", "CONVERTER_INSTANCES": 1, "CONVERTER_TIMEOUT": 9, "CONVERTER_MAX_JOBS": 7, "DATA_DIR": str(tmp_path)}
    conv = get_converter(settings)
    assert isinstance(conv, LocalPool) and isinstance(conv, Converter)
    assert get_converter(settings) is conv  # one per process
    assert conv.timeout == 9 and conv.max_jobs == 7 and conv.size == 1
    assert conv.status()["started"] is False  # lazy: nothing started yet
    # another data folder, same way of running LibreOffice: the same warm pool
    assert get_converter({**settings, "DATA_DIR": str(tmp_path / "other")}) is conv
    conv.close()
    assert get_converter(settings) is not conv  # a closed pool is replaced
    get_converter(settings).close()
    remote = get_converter({**settings, "CONVERTER_URL": "unix:" + str(tmp_path / "none.sock"), "CONVERTER_AUTHKEY": "k"})
    assert isinstance(remote, RemoteConverter) and isinstance(remote, Converter)
    assert remote.status()["ok"] is False
    with pytest.raises(ConverterUnavailable, match="无法连接"):
        remote.to_pdf(b"x")


# --------------------------------------------------------------------------- #
# Conversion through the shared warm pool
# --------------------------------------------------------------------------- #


@needs_office
def test_fontconfig_maps_official_names():
    env = {**os.environ, "FONTCONFIG_FILE": str(FONTS_CONF)}
    expect = {
        "仿宋_GB2312": "FandolFang",
        "方正小标宋简体": "Noto Serif CJK SC:Bold",
        "黑体": "Noto Sans CJK SC",
        "楷体_GB2312": "LXGW WenKai|AR PL UKai CN",
        "宋体": "Noto Serif CJK SC",
        "SimSun": "Noto Serif CJK SC",
        "SimHei": "Noto Sans CJK SC",
        "KaiTi": "LXGW WenKai|AR PL UKai CN",
        "FangSong": "FandolFang",
        "微软雅黑": "Noto Sans CJK SC",
        "华文中宋": "Noto Serif CJK SC",
    }
    for name, want in expect.items():
        got = subprocess.run(["fc-match", "-f", "%{family[0]}:%{style[0]}", name], env=env, capture_output=True, text=True).stdout
        family, _, style = got.partition(":")
        fam_want, _, style_want = want.partition(":")
        assert re.fullmatch(fam_want, family), f"{name} → {got}"
        if style_want:
            assert style == style_want, f"{name} → {got}"


@needs_office
def test_pdf_text_and_sc_fonts(pool, docx_one):
    pdf = pool.to_pdf(docx_one)
    assert check_pdf(pdf) == 1
    text = pdf_text(pdf)
    for _, sample in SAMPLES:
        assert sample in text
    assert_sc_faces(pdf)


@needs_office
def test_all_slots_chinese_doc_embeds_only_cjk_faces(pool):
    # templates that set ascii/hAnsi too: even the digits use the Chinese face,
    # so pdffonts lists Noto CJK (Serif/Sans) and LXGW WenKai/UKai only
    pdf = pool.to_pdf(make_docx(all_slots=True))
    assert_sc_faces(pdf)
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for ref in page["/Resources"]["/Font"].values():
            names.add(str(ref.get_object()["/BaseFont"]).split("+", 1)[-1])
    assert names and all(re.match(r"Noto(Serif|Sans)CJK|LXGWWenKai|UKai|FandolFang", n) for n in names), names
    if shutil.which("pdffonts"):
        out = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True).stdout.decode()
        assert not BAD_FONT.search(out), out


@needs_office
def test_unmapped_font_falls_back_to_sc_face(pool):
    # a font name nobody mapped, text not tagged zh-CN: the generic fallback
    # for Chinese characters is an SC face (not UKai, not a JP/KR face)
    samples = [("方正姚体", "未映射字体的正文内容示例说明")]
    pdf = pool.to_pdf(make_docx(samples))
    assert samples[0][1] in pdf_text(pdf)
    fonts = {font for ch, font in char_fonts(pdf) if CJK.match(ch)}
    assert fonts and all(re.match(r"Noto(Serif|Sans)CJK", f) for f in fonts), fonts
    cids = [(ch, font, cid) for font, ch, cid in noto_cids(pdf) if CJK.match(ch)]
    for ch, font, cid in cids:
        kind = "Serif" if "Serif" in font else "Sans"
        weight = "Bold" if "-Bold" in font else "Regular"
        assert cid == noto_cmaps(kind, weight)[f"Noto{kind}CJKsc-{weight}"][ord(ch)], (ch, font)
    assert len(cids) >= 10


@needs_office
def test_twenty_concurrent_conversions(pool):
    docs = {i: make_docx(marker=f"第{i}号") for i in range(20)}
    with ThreadPoolExecutor(max_workers=20) as ex:
        results = dict(zip(docs, ex.map(pool.to_pdf, docs.values()), strict=True))
    for i, pdf in results.items():
        assert check_pdf(pdf) == 1
        assert f"第{i}号" in pdf_text(pdf)
    st = pool.status()
    assert st["jobs_done"] >= 20 and st["failed_requests"] == 0
    assert {i["state"] for i in st["instances"]} <= {"ready", "busy"}


@needs_office
def test_soffice_killed_while_idle_is_restarted(pool, docx_one):
    assert pool.wait_ready(timeout=60)
    before = pool.status()
    victim = {**before["instances"][0], **pool.process_ids()[0]}
    os.kill(victim["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 5
    while pool.status()["instances"][0]["restarts"] == victim["restarts"]:
        assert time.monotonic() < deadline, "idle crash not noticed"
        time.sleep(0.02)
    # requests keep working (the other instance, then the restarted one)
    for _ in range(3):
        assert check_pdf(pool.to_pdf(docx_one)) == 1
    assert pool.wait_ready(timeout=60)
    after = {**pool.status()["instances"][0], **pool.process_ids()[0]}
    assert after["restarts"] == victim["restarts"] + 1 and after["crashes"] == victim["crashes"] + 1
    assert after["pid"] != victim["pid"] and pid_alive(after["pid"]) and not pid_alive(victim["pid"])
    assert "空闲时退出" in after["last_error"]


@needs_office
def test_soffice_killed_mid_conversion_request_is_retried(pool):
    assert pool.wait_ready(timeout=60)
    slow = make_docx(pages=25)  # long enough to be killed mid-way
    before = pool.status()
    results, errors = [], []

    def convert():
        try:
            results.append(pool.to_pdf(slow))
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=convert) for _ in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while True:
        busy = [i for i in pool.process_ids() if i["state"] == "busy"]
        if busy:
            break
        assert time.monotonic() < deadline
        time.sleep(0.005)
    time.sleep(0.1)
    os.kill(busy[0]["pid"], signal.SIGKILL)
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(results) == 4 and all(check_pdf(pdf) == 25 for pdf in results)
    after = pool.status()
    assert after["restarts"] >= before["restarts"] + 1
    assert after["retried_requests"] >= before["retried_requests"] + 1
    assert after["failed_requests"] == before["failed_requests"]
    assert pool.wait_ready(timeout=60)


@needs_office
def test_repeated_kills_during_a_burst_every_request_gets_its_pdf(pool):
    # 3 kills spread over a burst of 12 concurrent conversions on 2 instances:
    # soffice.bin mid-conversion, then the worker itself (its pipe closes),
    # then soffice.bin again — often while the other instance is still
    # restarting. Every request still gets its own, complete PDF.
    assert pool.wait_ready(timeout=60)
    pages = 12
    docs = {i: make_docx(marker=f"第{i}份", pages=pages) for i in range(12)}
    before = pool.status()
    killed: list[int] = []
    stop = threading.Event()

    def killer():
        for k, what in enumerate(("pid", "worker_pid", "pid")):
            while not stop.is_set():
                busy = [i for i in pool.process_ids() if i["state"] == "busy" and i[what] not in killed and pid_alive(i[what])]
                if busy:
                    break
                time.sleep(0.005)
            else:
                return
            time.sleep(0.05 * (k + 1))  # a little way into the conversion
            victim = busy[-1][what]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
            time.sleep(0.3)

    kill_thread = threading.Thread(target=killer)
    kill_thread.start()
    try:
        with ThreadPoolExecutor(max_workers=12) as ex:
            futures = {i: ex.submit(pool.to_pdf, doc) for i, doc in docs.items()}
            results = {i: f.result(timeout=120) for i, f in futures.items()}
    finally:
        stop.set()
        kill_thread.join(30)
    assert len(killed) == 3, "the burst ended before three kills"
    for i, pdf in results.items():
        assert check_pdf(pdf) == pages
        assert f"第{i}份" in pdf_text(pdf)
    assert not any(pid_alive(pid) for pid in killed)
    after = pool.status()
    assert after["failed_requests"] == before["failed_requests"]
    assert after["crashes"] >= before["crashes"] + 3 and after["restarts"] >= before["restarts"] + 3
    assert after["retried_requests"] >= before["retried_requests"] + 1
    assert pool.wait_ready(timeout=60)
    # nothing orphaned: per instance exactly one worker, one oosplash, one soffice.bin
    assert len(own_processes(pool._base)) == 3 * pool.size, own_processes(pool._base)


@needs_office
def test_bad_document_fails_fast_without_restarts(pool):
    # LibreOffice is fine but cannot open it: tried on a second instance, then a
    # clear message — no restart, no retry loop
    assert pool.wait_ready(timeout=60)
    before = pool.status()
    with pytest.raises(ConverterUnavailable) as info:
        pool.to_pdf(b"\x00\x01 not a document " * 400)
    assert info.value.status == 503
    assert "两次转换均失败" in info.value.message and "无法打开该文档" in info.value.message
    after = pool.status()
    assert after["restarts"] == before["restarts"] and after["crashes"] == before["crashes"]
    assert after["retried_requests"] == before["retried_requests"] + 1
    assert after["failed_requests"] == before["failed_requests"] + 1
    assert check_pdf(pool.to_pdf(make_docx())) == 1  # and the pool goes on


@needs_office
def test_status_shape(pool):
    st = pool.status()
    assert st["backend"] == "local" and st["ok"] is True and st["total"] == 2
    assert st["first_ready_s"] is not None and st["first_ready_s"] <= st["all_ready_s"]
    for inst in st["instances"]:
        assert inst["state"] in {"starting", "ready", "busy", "restarting", "dead"}
        assert {"jobs_done", "restarts", "restart_reasons", "timeouts", "crashes", "recycles"} <= set(inst)
        # health is shown to anyone: no process ids, no paths
        assert not {"pid", "worker_pid", "office_pids"} & set(inst)
    assert "/" not in json.dumps(st)
    for ids in pool.process_ids():  # the process ids are there for operators
        assert pid_alive(ids["pid"]) and pid_alive(ids["worker_pid"])


# --------------------------------------------------------------------------- #
# Time limit, recycling, close — each on a pool of its own
# --------------------------------------------------------------------------- #


@needs_office
def test_timeout_kills_restarts_and_retries_once(tmp_path, docx_one):
    p = LocalPool(instances=2, timeout=0.01, max_jobs=100, work_dir=tmp_path)
    try:
        assert p.wait_ready(timeout=60)
        pids = {i["pid"] for i in p.process_ids()}
        with pytest.raises(ConverterUnavailable) as info:
            p.to_pdf(docx_one)
        # tried on instance 0 and, once, on instance 1
        assert "超过 0.01 秒" in info.value.message and "实例 0" in info.value.message and "实例 1" in info.value.message
        st = p.status()
        assert st["timeouts"] == 2 and st["restarts"] == 2 and st["retried_requests"] == 1 and st["failed_requests"] == 1
        # both were killed and restarted; with a sane limit they work again
        p.timeout = 30
        assert check_pdf(p.to_pdf(docx_one)) == 1
        assert p.wait_ready(timeout=60)
        assert not pids & {i["pid"] for i in p.process_ids()}
        assert not any(pid_alive(pid) for pid in pids)
    finally:
        p.close()


@needs_office
def test_recycled_after_max_jobs(tmp_path, docx_one):
    p = LocalPool(instances=1, timeout=30, max_jobs=2, work_dir=tmp_path)
    try:
        assert p.wait_ready(timeout=60)
        pids = [p.process_ids()[0]["pid"]]
        for _ in range(5):
            assert check_pdf(p.to_pdf(docx_one)) == 1
            assert p.wait_ready(timeout=60)
            pids.append(p.process_ids()[0]["pid"])
        inst = p.status()["instances"][0]
        assert inst["jobs_done"] == 5 and inst["recycles"] == 2 and inst["restarts"] == 2
        assert inst["jobs"] == 1  # since the last recycle
        assert len(set(pids)) == 3  # a fresh soffice after jobs 2 and 4
    finally:
        p.close()


@needs_office
def test_close_leaves_no_soffice(tmp_path, docx_one):
    p = LocalPool(instances=2, timeout=30, work_dir=tmp_path)
    assert check_pdf(p.to_pdf(docx_one)) == 1
    pids = [pid for i in p.process_ids() for pid in (i["pid"], i["worker_pid"]) if pid]
    base = p._base
    assert own_processes(base), "the pool's processes should be visible before close"
    p.close()
    assert not own_processes(base)
    assert not any(pid_alive(pid) for pid in pids)
    if shutil.which("pgrep"):
        out = subprocess.run(["pgrep", "-af", f"soffice.*{base}"], capture_output=True, text=True).stdout
        assert out == "", out
    with pytest.raises(ConverterUnavailable, match="已关闭"):
        p.to_pdf(docx_one)


# --------------------------------------------------------------------------- #
# One pool shared by several processes
# --------------------------------------------------------------------------- #


def _remote_client(address: str, authkey: bytes, marker: str, queue) -> None:
    """Runs in a separate process: two conversions through the shared pool."""
    try:
        conv = RemoteConverter(address, authkey)
        out = []
        for i in range(2):
            pdf = conv.to_pdf(make_docx(marker=f"{marker}{i}"))
            out.append((check_pdf(pdf), f"{marker}{i}" in pdf_text(pdf)))
        queue.put((marker, out, None))
    except Exception as exc:  # noqa: BLE001 — reported to the parent
        queue.put((marker, None, repr(exc)))


@needs_office
def test_shared_pool_process_two_client_processes(tmp_path):
    settings = {"DATA_DIR": str(tmp_path), "CONVERTER_INSTANCES": 1, "CONVERTER_TIMEOUT": 30, "CONVERTER_MAX_JOBS": 100}
    served = run_pool_process(settings)
    address = served.address
    try:
        assert address.startswith("unix:")
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        clients = [ctx.Process(target=_remote_client, args=(address, served.authkey, m, queue)) for m in ("甲方", "乙方")]
        for c in clients:
            c.start()
        results = {}
        for _ in clients:
            marker, out, err = queue.get(timeout=120)
            results[marker] = (out, err)
        for c in clients:
            c.join(30)
        assert results["甲方"] == ([(1, True), (1, True)], None)
        assert results["乙方"] == ([(1, True), (1, True)], None)
        st = served.client().status()
        assert st["backend"] == "remote" and st["jobs_done"] == 4 and st["total"] == 1
        # the factory gives the workers a client to it
        assert isinstance(get_converter({**settings, "CONVERTER_URL": address, "CONVERTER_AUTHKEY": served.authkey.decode()}), RemoteConverter)
        # a client without the key is refused
        with pytest.raises(ConverterUnavailable, match="密钥"):
            RemoteConverter(address, b"wrong").to_pdf(make_docx())
    finally:
        served.stop()
    assert served.process.returncode == 0
    assert not own_processes(tmp_path / "converter")
    with pytest.raises(ConverterUnavailable):
        RemoteConverter(address, served.authkey).to_pdf(b"x")


@needs_office
def test_serve_pool_in_process_tcp(pool, docx_one):
    server = serve_pool(pool, "127.0.0.1:0", KEY)
    try:
        conv = RemoteConverter(server.address, KEY)
        with ThreadPoolExecutor(4) as ex:
            pdfs = list(ex.map(conv.to_pdf, [docx_one] * 4))
        assert all(check_pdf(pdf) == 1 for pdf in pdfs)
        assert conv.status()["ok"] is True
    finally:
        server.close()
