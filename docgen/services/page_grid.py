"""The GB/T 9704 document grid (22 lines of 28 characters) as Word and
LibreOffice both read it.

The text block is 156 mm (442.2 pt) wide; 28 characters of 3号 (16 pt) need
448 pt. Word's page set-up says "28 characters, 22 lines" through
``w:docGrid type="linesAndChars"`` with a ``charSpace`` that makes the
character pitch 442.2/28 = 15.79 pt and a ``linePitch`` of 28.95 pt.

LibreOffice 7.4 reads the same grid differently: it rounds the pitch to whole
twips (15.75 pt), puts a character wider than a cell into two cells, gives a
lone digit a cell of its own and then breaks such lines early (it also always
sets its automatic space between Chinese and digits, ignoring
``w:autoSpaceDE``). So the paragraphs do not snap to the character grid
(``w:snapToGrid w:val="0"`` on Normal, which every style is based on) and the
characters themselves give up 0.3 pt (``w:spacing -6`` on the document
defaults): 28 characters of 15.7 pt fill 439.6 of the 442.2 pt, with room for
LibreOffice's rounding of glyph widths (at -0.25 pt a line of 28 full-width
characters and punctuation measured a hair too long and lost its last
character), and a 29th does not fit, in Word and in LibreOffice alike; the exact 28.95 pt
line spacing (= ``linePitch``) gives the 22 lines. Word's page set-up still
shows the 28 × 22 grid to a clerk who edits the template.
"""

from __future__ import annotations

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

BLOCK_WIDTH_PT = 156 / 25.4 * 72  # 442.2 pt
CHARS_PER_LINE = 28
BODY_PT = 16.0
LINE_PITCH_TWIPS = 579  # 28.95 pt: 22 lines in the 225 mm text block
# charSpace is in 1/4096 pt added to the default 16 pt: a pitch a hair under
# 442.2/28, so that 28 characters always fit (Word rounds as it lays out)
CHAR_SPACE = int((BLOCK_WIDTH_PT / CHARS_PER_LINE - BODY_PT) * 4096) - 2
# LibreOffice 7.4 reads w:overflowPunct the wrong way round: "1" is what makes it keep
# punctuation inside the text block (Word, reading "1" as allowed, hangs it as it does by default)
HANGING_OFF = "1"
CONDENSE_TWIPS = -6  # each character gives up 0.3 pt (see above)
# a first-line indent of two grid cells (two characters), in twips
TWO_CHARACTERS_TWIPS = 2 * (BODY_PT * 20 + CONDENSE_TWIPS)

_RPR_AFTER_SPACING = (
    "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd",
    "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath",
)
_PPR_AFTER_AUTOSPACE = (
    "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
    "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl",
    "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)
_PPR_AFTER_SNAP = _PPR_AFTER_AUTOSPACE[_PPR_AFTER_AUTOSPACE.index("w:snapToGrid") + 1 :]


def set_document_grid(grid) -> None:
    """Make a section's ``w:docGrid`` the 22 × 28 grid."""
    grid.attrib.clear()
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(LINE_PITCH_TWIPS))
    grid.set(qn("w:charSpace"), str(CHAR_SPACE))


def condense_characters(rpr) -> None:
    """Characters a quarter point narrower (on the document defaults' rPr)."""
    spacing = rpr.find(qn("w:spacing"))
    if spacing is None:
        spacing = OxmlElement("w:spacing")
        rpr.insert_element_before(spacing, *_RPR_AFTER_SPACING)
    spacing.set(qn("w:val"), str(CONDENSE_TWIPS))


def no_auto_space(ppr) -> None:
    """No automatic gap between Chinese and Latin text or digits (Word; LibreOffice ignores it)."""
    for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):
        el = ppr.find(qn(tag))
        if el is None:
            el = OxmlElement(tag)
            ppr.insert_element_before(el, *(_PPR_AFTER_AUTOSPACE[_PPR_AFTER_AUTOSPACE.index("w:bidi") :]))
        el.set(qn("w:val"), "0")


def off_grid(ppr) -> None:
    """The paragraph does not snap to the character grid (see the module's docstring)."""
    el = ppr.find(qn("w:snapToGrid"))
    if el is None:
        el = OxmlElement("w:snapToGrid")
        ppr.insert_element_before(el, *_PPR_AFTER_SNAP)
    el.set(qn("w:val"), "0")


def no_hanging_punctuation(ppr) -> None:
    """A 、 or 。 at the end of a full line stays inside the text block (LibreOffice
    hangs it into the right margin otherwise); the line before gives way instead."""
    el = ppr.find(qn("w:overflowPunct"))
    if el is None:
        el = OxmlElement("w:overflowPunct")
        ppr.insert_element_before(el, "w:topLinePunct", "w:autoSpaceDE", *_PPR_AFTER_AUTOSPACE)
    el.set(qn("w:val"), HANGING_OFF)


def no_stretch_before_breaks(settings) -> None:
    """A justified line that ends in a manual line break keeps its spacing (Word's
    ``doNotExpandShiftReturn``, which LibreOffice reads too): without it both spread
    the line's characters across the whole width."""
    compat = settings.find(qn("w:compat"))
    if compat is None:
        compat = OxmlElement("w:compat")
        settings.append(compat)
    if compat.find(qn("w:doNotExpandShiftReturn")) is None:
        compat.insert(0, OxmlElement("w:doNotExpandShiftReturn"))
