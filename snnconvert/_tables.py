"""Plain-text tables for terminals, reports and summaries."""


def format_table(header, rows):
    """Left-aligned first column, right-aligned numbers, as lines of text."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]

    def line(cells):
        first = str(cells[0]).ljust(widths[0])
        rest = (str(cell).rjust(width) for cell, width in zip(cells[1:], widths[1:]))
        return "  ".join([first, *rest])

    return [line(header), "  ".join("-" * w for w in widths), *(line(row) for row in rows)]
