"""What a page looks like on a screen: the checks the browser tests share."""

# Elements whose right edge passes the viewport, outside any box that scrolls on its own.
STICKING_OUT = """() => {
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth <= width) return [];
    const scrollsInside = (el) => {
        for (let box = el.parentElement; box; box = box.parentElement) {
            const overflow = getComputedStyle(box).overflowX;
            if (overflow === "auto" || overflow === "scroll" || overflow === "hidden") return true;
        }
        return false;
    };
    const found = [];
    for (const el of document.body.querySelectorAll("*")) {
        const right = el.getBoundingClientRect().right;
        if (right > width + 0.5 && !scrollsInside(el)) {
            const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
                + (el.classList.length ? "." + [...el.classList].join(".") : "");
            found.push(`${name} reaches ${Math.round(right)} px`);
        }
    }
    return found.length ? found.slice(0, 5) : ["the page is wider than the screen"];
}"""


def sticking_out(page):
    """What makes the page scroll sideways (an empty list when it fits).

    Measured once the page has loaded: straight after a click that navigates, the next document
    may not have its stylesheets yet, and an unstyled admin form is wider than a phone.
    """
    page.wait_for_load_state("load")
    return page.evaluate(STICKING_OUT)
