"""The organisation's logo: a PNG or an SVG of at most 200 kB, checked before it is stored.

An SVG is a document, not a picture: it can hold scripts, event handlers, HTML (foreignObject) and links
to other sites, which a browser runs or fetches when the file is opened on its own. Sanitising such a file
is easy to get wrong, so nothing is taken out: an SVG with anything outside a list of plain drawing
elements and attributes is refused whole, and the person is told what to remove. The XML is parsed by the
standard library's expat with every DOCTYPE and entity refused first, so no entity can be expanded
(billion laughs) or fetched. The app serves the logo with a policy that runs no script either."""

import io
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from xml.parsers import expat

MAX_BYTES = 200 * 1024
MAX_PIXELS = 4000  # per side of a PNG
PNG = "image/png"
SVG = "image/svg+xml"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
XLINK_NAMESPACE = "http://www.w3.org/1999/xlink"
#: Drawing elements only: no script, style, foreignObject, image, use of other files, animation or links.
SVG_ELEMENTS = {
    "svg", "g", "defs", "title", "desc", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
    "text", "tspan", "linearGradient", "radialGradient", "stop", "clipPath", "mask", "symbol", "use", "metadata",
}
SVG_ATTRIBUTES = {
    "id", "class", "version", "baseProfile", "width", "height", "viewBox", "preserveAspectRatio", "x", "y",
    "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "d", "points", "transform", "fill", "fill-opacity",
    "fill-rule", "clip-rule", "stroke", "stroke-width", "stroke-opacity", "stroke-linecap", "stroke-linejoin",
    "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "opacity", "color", "font-family",
    "font-size", "font-weight", "font-style", "text-anchor", "dominant-baseline", "letter-spacing",
    "offset", "stop-color", "stop-opacity", "gradientUnits", "gradientTransform", "spreadMethod", "fx", "fy",
    "clip-path", "clipPathUnits", "mask", "maskUnits", "maskContentUnits", "visibility", "display", "dx", "dy",
    "role", "aria-label", "aria-hidden", "focusable", "href", "xml:space",
}
# A reference to something outside the file: url(…) to anything but #id, or an href not starting with #.
OUTSIDE_REFERENCE = re.compile(r"url\(\s*['\"]?\s*(?!#)", re.IGNORECASE)


class LogoRefused(ValueError):
    """The file cannot be the logo; the message says why in plain Dutch."""


@dataclass(frozen=True)
class Logo:
    content: bytes
    media_type: str


def check(content: bytes) -> Logo:
    """The logo as it will be stored, or LogoRefused naming the problem."""
    if not content:
        raise LogoRefused("Kies een bestand met het logo.")
    if len(content) > MAX_BYTES:
        raise LogoRefused(f"Het logo is {kilobytes(content)} kB. Een logo mag hoogstens {MAX_BYTES // 1024} kB "
                          "zijn. Maak het bestand kleiner en probeer het opnieuw.")
    if content.startswith(PNG_SIGNATURE):
        _check_png(content)
        return Logo(content, PNG)
    if _looks_like_xml(content):
        _check_svg(content)
        return Logo(content, SVG)
    raise LogoRefused("Het logo moet een PNG- of SVG-bestand zijn.")


def kilobytes(content: bytes) -> int:
    """The size in kB, rounded up: a file of 200 kB and one byte is over the limit, and says so."""
    return -(-len(content) // 1024)


def _check_png(content: bytes) -> None:
    from PIL import Image, UnidentifiedImageError  # Pillow comes with matplotlib

    try:
        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
            if image.format != "PNG" or width > MAX_PIXELS or height > MAX_PIXELS:
                raise LogoRefused(f"Het logo mag hoogstens {MAX_PIXELS} bij {MAX_PIXELS} beeldpunten zijn.")
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        if isinstance(error, LogoRefused):
            raise
        raise LogoRefused("Dit PNG-bestand is beschadigd. Sla het logo opnieuw op als PNG.") from None


def _looks_like_xml(content: bytes) -> bool:
    start = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:200].lower()
    return start.startswith(b"<?xml") or start.startswith(b"<svg") or start.startswith(b"<!")


def _refuse_declarations(content: bytes) -> None:
    """A DOCTYPE or an entity could expand or fetch text while parsing: refuse before building a tree."""
    parser = expat.ParserCreate()

    def declared(*_):
        raise LogoRefused("Het SVG-bestand bevat een DOCTYPE of ENTITY. Sla het logo op als gewone SVG "
                          "(bijvoorbeeld 'Plain SVG' of 'Optimized SVG') en probeer het opnieuw.")

    def instruction(*_):  # <?xml-stylesheet href=…?> would make a browser fetch another file
        raise LogoRefused("Dit SVG-bestand bevat een verwijzing naar een ander bestand (<?xml-stylesheet?>). "
                          "Haal die weg en probeer het opnieuw.")

    parser.StartDoctypeDeclHandler = declared
    parser.EntityDeclHandler = declared
    parser.ExternalEntityRefHandler = declared
    parser.ProcessingInstructionHandler = instruction
    try:
        parser.Parse(content, True)
    except expat.ExpatError:
        raise LogoRefused("Dit SVG-bestand is geen geldige XML. Sla het logo opnieuw op als SVG.") from None


def _check_svg(content: bytes) -> None:
    _refuse_declarations(content)
    root = ElementTree.fromstring(content)
    if _local(root.tag) != "svg" or _namespace(root.tag) != SVG_NAMESPACE:
        raise LogoRefused("Dit bestand is geen SVG-afbeelding.")
    problems = sorted({problem for element in root.iter() for problem in _element_problems(element)})
    if problems:
        raise LogoRefused("Dit SVG-bestand bevat onderdelen die niet veilig zijn: " + ", ".join(problems)
                          + ". Haal die weg (of sla het logo op als PNG) en probeer het opnieuw.")


def _element_problems(element) -> list[str]:
    name = _local(element.tag)
    if _namespace(element.tag) != SVG_NAMESPACE or name not in SVG_ELEMENTS:
        return [f"<{name}>"]
    problems = []
    for attribute, value in element.attrib.items():
        local = _local(attribute)
        namespace = _namespace(attribute)
        known = (namespace == "" and local in SVG_ATTRIBUTES) or (namespace == XLINK_NAMESPACE and local == "href") \
            or (namespace == "http://www.w3.org/XML/1998/namespace" and local == "space")
        if not known:
            problems.append(f"het attribuut {local}" if not local.lower().startswith("on")
                            else f"de gebeurtenis {local}")
        elif local == "href" and not value.strip().startswith("#"):
            problems.append("een verwijzing naar een ander bestand")
        elif OUTSIDE_REFERENCE.search(value):
            problems.append("een verwijzing naar een ander bestand")
    return problems


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
