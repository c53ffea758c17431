"""The share card: the picture a chat app or social network shows under a link to a campaign (Open Graph's
`og:image`), drawn from the campaign's own title and recipient in the page's language, so that a Welsh link
shows a Welsh card and a title edited in the admin shows on the next card.

Drawn with Pillow (a PNG: WhatsApp, Facebook and X show no SVG) once per campaign, language and edit, then served
from the cache; its address carries the campaign's last edit, so that the networks fetch it again after one.
"""

import io
import logging
from functools import cache

from django.utils.translation import gettext
from PIL import Image, ImageDraw, ImageFont

from campaign.models import Campaign

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 1200, 630  # the size every network shows without cropping (1.91:1)
MARGIN = 90
GREEN, YELLOW, WHITE, INK = "#003d35", "#ffdd00", "#ffffff", "#1b1b1b"  # the site's colours (static/css/site.css)
TITLE_SIZES = (84, 76, 68, 60, 52, 46)  # the largest at which the title fits in its lines
TITLE_LINES = 3
FONTS = {
    # Noto Sans is installed with the delivery pack's fonts (make fonts); DejaVu Sans comes with most systems.
    # Both have Welsh's ŵ and ŷ. Pillow looks for them among the system's fonts.
    True: ("NotoSans-Bold.ttf", "DejaVuSans-Bold.ttf"),
    False: ("NotoSans-Regular.ttf", "DejaVuSans.ttf"),
}

Font = ImageFont.FreeTypeFont


def share_card(campaign: Campaign) -> bytes:
    """The campaign's card as PNG bytes, in the active language."""
    image = Image.new("RGB", (WIDTH, HEIGHT), GREEN)
    draw = ImageDraw.Draw(image)
    width = WIDTH - 2 * MARGIN

    kicker = gettext("An open letter to %(name)s") % {"name": campaign.recipient_name}
    kicker_font = _fitting(kicker, (36, 32, 28), width, bold=False)
    draw.text((MARGIN, 96), _shortened(kicker, kicker_font, width), font=kicker_font, fill=WHITE)

    title_font, lines = _title(campaign.title, width)
    y = 160
    for line in lines:
        draw.text((MARGIN, y), line, font=title_font, fill=WHITE)
        y += round(title_font.size)
    y = max(y + 40, 420)

    button = gettext("Add your name")
    button_font = _font(40, bold=True)
    button_width = round(button_font.getlength(button))
    draw.rectangle((MARGIN, y, MARGIN + button_width + 60, y + 72), fill=YELLOW)
    draw.text((MARGIN + 30, y + 36), button, font=button_font, fill=INK, anchor="lm")
    draw.rectangle((0, HEIGHT - 24, WIDTH, HEIGHT), fill=YELLOW)

    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()


def _title(title: str, width: int) -> tuple[Font, list[str]]:
    """The title's font and lines: the largest size at which it fits in three lines, or the smallest, cut short."""
    for size in TITLE_SIZES[:-1]:
        font = _font(size, bold=True)
        lines = _wrapped(title, font, width)
        if len(lines) <= TITLE_LINES:
            return font, lines
    font = _font(TITLE_SIZES[-1], bold=True)
    lines = _wrapped(title, font, width)
    if len(lines) <= TITLE_LINES:
        return font, lines
    return font, [*lines[: TITLE_LINES - 1], _shortened(" ".join(lines[TITLE_LINES - 1 :]), font, width)]


def _wrapped(text: str, font: Font, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _shortened(text: str, font: Font, width: int) -> str:
    """The text, cut at a word and ended with an ellipsis if it is wider than the card."""
    if font.getlength(text) <= width:
        return text
    words = text.split()
    while len(words) > 1 and font.getlength(" ".join(words) + "…") > width:
        words.pop()
    return " ".join(words) + "…"


def _fitting(text: str, sizes: tuple[int, ...], width: int, *, bold: bool) -> Font:
    """The largest of the sizes at which the text fits on one line, or the smallest."""
    fonts = [_font(size, bold=bold) for size in sizes]
    return next((font for font in fonts if font.getlength(text) <= width), fonts[-1])


@cache
def _font(size: int, *, bold: bool) -> Font:
    for name in FONTS[bold]:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    logger.warning("Neither Noto Sans nor DejaVu Sans is installed: the share card is drawn in Pillow's own font")
    font = ImageFont.load_default(size)
    if not isinstance(font, ImageFont.FreeTypeFont):  # Pillow built without FreeType: no font can be sized
        raise RuntimeError("Pillow has no FreeType support, which the share card needs")
    return font
