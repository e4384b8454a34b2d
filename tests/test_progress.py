import io

from sam2_autotrack.progress import StderrProgress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_non_tty_prints_sparse_lines_and_the_final_one() -> None:
    buf = io.StringIO()
    bar = StderrProgress(stream=buf, interval=3600)
    for done in range(1, 101):
        bar("track", done, 100)
    lines = buf.getvalue().splitlines()
    assert len(lines) == 2  # the first call and the completed stage, nothing in between
    assert "100/100" in lines[-1]
    assert "\r" not in buf.getvalue()


def test_tty_redraws_in_place() -> None:
    buf = _Tty()
    bar = StderrProgress(stream=buf, width=10)
    bar("track", 5, 10)
    assert buf.getvalue().startswith("\r")
    assert "█████░░░░░" in buf.getvalue()
    bar("track", 10, 10)
    assert buf.getvalue().endswith("\n")


def test_unknown_total_prints_a_count() -> None:
    buf = io.StringIO()
    StderrProgress(stream=buf, interval=0)("download", 7, None)
    assert "download 7" in buf.getvalue()
