"""The chrtool command line (click). Exit status: 0 the run worked (faults found or not),
1 an input could not be read at all, 2 usage error."""
import contextlib
import functools
import json
import os
import re
import sys

# chrtool does no linear algebra: numpy's OpenBLAS thread pool would only spin up threads
# that cost CPU time at start-up (about 60 ms on 2 cores); set before numpy is imported
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import click  # noqa: E402

from chrtool import __version__, backend
from chrtool.errors import ChrtoolError, InputError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
ARGV = []
INPUTS = click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")


def _warn(problem):
    click.echo(f"chrtool: warning: {problem}", err=True)


def reading(command):
    """The options every command that reads inputs takes (DESIGN: --strict, --maps,
    --nas-null-cipher), handed to _run as `read`."""
    options = [
        click.option("--strict", is_flag=True, help="Exit with status 1 if any input has a "
                     "problem (damaged bytes, bad CSV rows, ...), not only when one cannot be "
                     "read at all. Problems are reported on stderr either way."),
        click.option("--maps", "maps", multiple=True, type=click.Path(file_okay=False,
                     exists=True), help="Directory of extra vendor CSV column layouts (*.toml; "
                     "repeatable; also $CHRTOOL_MAPS). A layout there overrides a shipped one "
                     "of the same name; see docs/formats/vendor-csv.md."),
        click.option("--nas-null-cipher", is_flag=True, help="Decode NAS marked ciphered whose "
                     "Security Mode Command is not in the inputs when its plaintext parses as "
                     "valid NAS (as tshark's nas-eps.null_decipher); otherwise such NAS stays "
                     "marked ciphered."),
        click.option("--clock-skew", "clock_skew", type=click.FloatRange(min=0), default=50.0,
                     show_default=True, metavar="MS", help="How far apart, in milliseconds, the "
                     "clocks of different probes or files may be: a packet another file holds "
                     "too within this time is a copy and counts once when linking subscribers."),
    ]

    @functools.wraps(command)
    def collect(*args, strict, maps, nas_null_cipher, clock_skew, **kwargs):
        return command(*args, read={"strict": strict, "maps": maps,
                                    "nas_null_cipher": nas_null_cipher,
                                    "clock_skew_ns": int(clock_skew * 1e6)}, **kwargs)
    for option in reversed(options):
        collect = option(collect)
    return collect


def _run(inputs, read):
    """The decoding run over all inputs (read: the `reading` options)."""
    from chrtool.inputs.pipeline import Run
    try:
        run = Run(inputs, on_problem=_warn, maps=read["maps"],
                  nas_null_cipher=read["nas_null_cipher"])
    except InputError as exc:
        raise click.UsageError(str(exc)) from exc
    run.strict = read["strict"]
    run.clock_skew_ns = read["clock_skew_ns"]
    for path, reason in run.skipped:
        if path in inputs:                       # named explicitly: say why it is not used
            click.echo(f"chrtool: error: {path}: {reason}", err=True)
            run.failed.append(path)
    if not run.sources and not run.failed:
        raise click.UsageError("none of the inputs is a capture, CHR export or trace file")
    return run


def _progress(run, what="decoding"):
    if not sys.stderr.isatty():
        return None, None
    from rich.progress import Progress
    import os
    total = sum(os.path.getsize(s.path) for s in run.sources)
    bar = Progress(transient=True, console=None)
    task = bar.add_task(what, total=total)
    offsets = {}

    def step(source, table):
        done = int(table.cols["src_offset"][table.n - 1]) if table.n else 0
        bar.update(task, advance=max(0, done - offsets.get(source.path, 0)))
        offsets[source.path] = done
    return bar, step


def _events(run):
    bar, step = _progress(run)
    if bar:
        with bar:
            return run.events(step)
    return run.events()


def _exit(run):
    """0 when the run worked; 1 when an input could not be read at all, or (--strict) had any
    problem."""
    sys.exit(1 if run.failed or (run.strict and run.problems) else 0)


@contextlib.contextmanager
def _out(path):
    """The output file (or stdout); a failure to open, write or close it is a one-line error."""
    try:
        fh = open(path, "w", encoding="utf-8") if path else sys.stdout
    except OSError as exc:
        raise _write_failed(path, exc) from exc
    try:
        yield fh
        fh.flush()
    except BrokenPipeError:
        if path:
            raise _write_failed(path, OSError("broken pipe")) from None
        # `chrtool decode ... | head`: the reader chose to stop; that is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except OSError as exc:
        raise _write_failed(path, exc) from exc
    finally:
        if path:
            try:
                fh.close()
            except OSError:       # the write error above already says what went wrong
                pass


def _write_failed(path, exc):
    """The one-line error for an output that cannot be written, with what to do about it."""
    import errno
    if not path:
        # what is left in stdout's buffer would fail again at exit, with a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        hint = "its directory does not exist: create it or choose another -o"
    elif getattr(exc, "errno", None) == errno.ENOSPC or "No space left" in str(exc):
        hint = "the disk is full: free space or choose another -o"
    else:
        hint = "choose another -o"
    return click.ClickException(f"cannot write {path or 'standard output'}: "
                                f"{getattr(exc, 'strerror', None) or exc}; {hint}")


class _Main(click.Group):
    """Every error ends the run with one line on stderr and the documented status: 2 for a
    usage error, 1 when an input or the output cannot be read or written."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        global ARGV                 # the command line, as diagnose --bundle's README names it
        ARGV = list(sys.argv[1:] if args is None else args)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            cmd = exc.ctx.command_path if exc.ctx else "chrtool"
            _fail(f"{exc.format_message()} (see '{cmd} --help')", 2)
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except ChrtoolError as exc:
            _fail(str(exc), 1)
        except click.Abort:
            _fail("aborted", 1)
        except OSError as exc:    # writing the output; reading inputs is reported by the run
            _fail(_write_failed(exc.filename, exc).message, 1)
        sys.exit(rv if isinstance(rv, int) else 0)


def _fail(message, status):
    # one line: continuation lines of a long message are folded into it
    text = " ".join(line.strip() for line in str(message).splitlines() if line.strip())
    try:
        click.echo(f"chrtool: error: {text}", err=True)
    except OSError:
        pass
    sys.exit(status)


def _imsi(value, what="--imsi"):
    """An IMSI as digits (6-15, TS 23.003), or a usage error saying what is wrong."""
    if value is None:
        return None
    text = value.strip()
    if not re.fullmatch(r"\d{6,15}", text):
        raise click.UsageError(f"{what} {value!r} is not an IMSI: give its 6 to 15 digits, "
                               "e.g. 460001234567890")
    return text


def _msisdn(value, what="--msisdn"):
    """An MSISDN as digits: '+86 139 1234 0001' and '+86-139-1234-0001' -> '8613912340001'
    (spaces, dashes, dots, brackets and a leading + or 00 are how people write numbers)."""
    if value is None:
        return None
    text = re.sub(r"[\s\-.()/]", "", value)
    text = text[1:] if text.startswith("+") else text
    if not re.fullmatch(r"\d{5,15}", text):
        raise click.UsageError(f"{what} {value!r} is not a phone number: give its digits with "
                               "the country code, e.g. 8613912340001 or '+86 139 1234 0001'")
    return text


def _time(value, option):
    """--since/--until as ns since the epoch (None when not given)."""
    from chrtool.inputs.tickets import parse_time
    if value is None:
        return None
    if not value.strip():
        raise click.UsageError(f"{option} is empty: give a time like 2026-11-27T09:00:00Z, or "
                               "leave the option out")
    try:
        return parse_time(value)
    except InputError as exc:
        raise click.UsageError(f"{option}: {exc}") from exc


@click.group(cls=_Main, context_settings=CONTEXT)
@click.version_option(__version__, message=f"chrtool %(version)s, decoding core: {backend()}")
def main():
    """Find where and why a subscriber's signalling broke, from captures and CHR exports.

    chrtool decodes pcap/pcapng captures (S1AP, X2AP with EN-DC, NAS-EPS, GTPv2-C, Diameter S6a)
    and CHR exports into one event table, links every message to its subscriber, and names the
    node and cause where the signalling broke, classified the way a complaint ticket needs.

    \b
    Typical use:
      chrtool diagnose --imsi 001010000000002 samples/
      chrtool diagnose --complaint T2026112700017 --tickets samples/tickets.csv samples/
      chrtool timeline --imsi 001010000000002 --format html -o ue.html samples/
      chrtool decode samples/attach_reject.pcap | head
      chrtool stats captures/

    INPUT is a file, a directory (searched recursively) or a glob; formats are recognised by
    content (gzip too). Problems in an input are reported on stderr with file and byte offset,
    and everything decodable around them is still used.
    """
    core = backend()
    if not core.startswith("compiled"):      # a broken build explains itself
        raise click.ClickException(f"the decoding core is {core}")


def _zone(value, option="--tz"):
    """--tz as a tzinfo: an IANA name (Asia/Shanghai), UTC, or an offset (+08:00)."""
    import datetime as dt
    import re
    if value is None:
        return None
    m = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?", value.strip())
    if m:
        minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
        return dt.timezone(dt.timedelta(minutes=minutes if m.group(1) == "+" else -minutes))
    if value.strip().upper() in ("UTC", "Z", "GMT"):
        return dt.timezone.utc
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo(value.strip())
    except Exception as exc:               # zoneinfo raises several kinds for a bad name
        raise click.UsageError(f"{option} {value!r} is not a time zone: give an IANA name such as "
                               f"Asia/Shanghai, or an offset such as +08:00") from exc


@main.command(context_settings=CONTEXT)
@INPUTS
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl",
              show_default=True, help="jsonl: one JSON object per message (DESIGN.md keys); csv and "
              "parquet: one row per message, nested values as JSON text.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of stdout "
              "(required for parquet).")
@reading
def decode(inputs, fmt, output, read):
    """Decode inputs into one row per message (a packet with three S1AP chunks gives three rows).

    NAS-EPS messages appear inside their S1AP message's "nas" list.
    """
    from chrtool.output.rows import iter_rows, to_jsonable
    run = _run(inputs, read)
    if fmt == "parquet" and not output:
        raise click.UsageError("--format parquet needs -o FILE")
    rows = None
    if fmt == "jsonl":
        with _out(output) as out:
            for _, table in run.batches():
                from chrtool.table.events import Events
                for row in iter_rows(Events.concat([table], run.files)):
                    out.write(json.dumps(row, ensure_ascii=False, default=to_jsonable) + "\n")
    else:
        from chrtool.output.tables import write_table
        rows = list(iter_rows(_events(run)))
        try:
            write_table(rows, fmt, output)
        except OSError as exc:
            raise _write_failed(output, exc) from exc
    _exit(run)


@main.command(context_settings=CONTEXT)
@INPUTS
@click.option("--json", "as_json", is_flag=True, help="Print the counts as one JSON object.")
@click.option("--subscribers", is_flag=True, help="Also link messages to subscribers and count "
              "subscribers, linked and unlinked messages, link conflicts and procedures by kind "
              "and outcome (decodes the inputs three times; memory stays bounded).")
@reading
def stats(inputs, as_json, subscribers, read):
    """Decode everything and count messages per protocol, message and cause.

    This runs the whole decode path into the event table without serialising rows, so it is also
    the end-to-end decode benchmark: `time chrtool stats big.pcap`. Memory stays bounded by the
    chunk size. --subscribers adds what linking and procedures find, by the stages of
    `chrtool batch` (one process, shards of subscribers on disk under $TMPDIR).
    """
    import time
    from chrtool.inputs.pipeline import COUNT_CHUNK_BYTES
    from chrtool.output.stats import Counts
    run = _run(inputs, read)
    run.capture_chunk_bytes = COUNT_CHUNK_BYTES     # each batch counted and let go
    counts = Counts()
    bar, step = _progress(run)
    started = time.perf_counter()
    with (bar or contextlib.nullcontext()):
        for _, table in (run.batches(step) if bar else run.batches()):
            counts.add(table)
    summary = counts.summary(run, time.perf_counter() - started)
    if subscribers:
        with _by_subscriber(inputs, read) as job:
            prep, _, procs = job.procedures(rows=False)
        summary.update(subscribers=len(prep.sessions.ues), linking=prep.sessions.counts(),
                       procedures=dict(sorted(procs.items())))
    click.echo(json.dumps(summary, indent=2) if as_json else counts.text(summary))
    _exit(run)


def _who(imsi, msisdn):
    """(imsi, msisdn) checked and normalised: exactly one of them, as digits."""
    if (imsi is None) == (msisdn is None):
        raise click.UsageError("give exactly one of --imsi or --msisdn")
    return _imsi(imsi), _msisdn(msisdn)


@main.command(context_settings=CONTEXT)
@click.option("--imsi", help="Subscriber IMSI (digits).")
@click.option("--msisdn", help="Subscriber MSISDN; needs S6a or S11 data that carries it.")
@INPUTS
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text",
              show_default=True)
@click.option("--tz", help="Time zone of the HTML report's times: an IANA name (Asia/Shanghai) "
                           "or an offset (+08:00). Default UTC.")
@click.option("-o", "--output", type=click.Path(dir_okay=False))
@reading
def timeline(imsi, msisdn, inputs, fmt, tz, output, read):
    """One subscriber's procedures across interfaces, in time order, with their messages.

    Text is a ladder grouped by procedure (attach, its S6a and S11 children, ...), each marked
    with its outcome (ok, REJECT, FAIL, TIMEOUT, abandoned, open), the node that answered, the
    cause, and how surely its messages were linked to the subscriber when that was inferred (an
    S-TMSI, a handover, a time window). JSON gives the same procedures with their messages as
    decode rows. HTML is the ladder to look at: a lane per node (UE, each eNB and gNB, MME,
    SGW, PGW, HSS, named by address), the procedures as coloured bands, CHR radio records and
    the radio chart; click a message for its decoded fields.
    """
    from chrtool.link.procedures import build
    from chrtool.output import procedures as ladder
    from chrtool.output import report
    imsi, msisdn = _who(imsi, msisdn)
    zone = _zone(tz)
    run = _run(inputs, read)
    ev, sessions, ue, own = _subscriber(run, imsi, msisdn)
    procs = build(ev, sessions, [ue.index]) if ue else []
    with _out(output) as out:
        doc = ladder.timeline_document(ev, sessions, ue, procs, imsi, msisdn)
        if fmt == "html":
            from chrtool.output.html import report_html, s1_senders
            out.write(report_html(doc, None, sessions.roles, zone=zone, senders=s1_senders(ev),
                                  problems=[p.as_dict() for p in run.problems]))
        else:
            if fmt == "json":                  # every message too, as before procedures existed
                doc = {"imsi": doc["imsi"], "msisdn": doc["msisdn"],
                       "messages": report.timeline_rows(own), **doc}
                out.write(json.dumps(doc, ensure_ascii=False, indent=2,
                                     default=report.to_jsonable) + "\n")
            else:
                _write_styled(out, ladder.timeline_styled(doc))
    _exit(run)


@main.command(context_settings=CONTEXT)
@click.option("--imsi", help="Subscriber IMSI (digits).")
@click.option("--msisdn", help="Subscriber MSISDN; needs S6a or S11 data that carries it.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The capture to write (pcapng); its sidecar goes beside it as "
                   "OUTPUT.frames.csv.")
@INPUTS
@reading
def extract(imsi, msisdn, output, inputs, read):
    """Write one subscriber's own packets, as captured, into one pcapng for Wireshark.

    The capture holds exactly the frames of the subscriber's timeline (`chrtool timeline`),
    whole, with their original timestamps and link types, from every input, in time order. The
    sidecar OUTPUT.frames.csv maps each new frame number to its input file and frame, names the
    other subscribers a bundled SCTP packet carries too (the packet is kept whole) and the copies
    another probe saw (written once), and lists the CHR, trace and CSV records, which have no
    packet. A subscriber not in the inputs gets an empty capture and a note on stderr.

    \b
    Example:
      chrtool extract --imsi 001010000000002 -o ue.pcapng samples/
      tshark -r ue.pcapng
    """
    imsi, msisdn = _who(imsi, msisdn)
    run = _run(inputs, read)
    summary = _extract(run, imsi, msisdn, output)
    click.echo(f"chrtool: {summary['frames']} frames of {imsi or msisdn} in {output} "
               f"({summary['not_extractable']} messages without a packet, "
               f"{summary['bundled']} packets shared with other subscribers, "
               f"{summary['copies']} copies from another probe left out); "
               f"sidecar {summary['sidecar']}", err=True)
    _exit(run)


def _extract(run, imsi, msisdn, output, found=None):
    """Link, decode the subscriber's rows again and write the capture (`found`: what
    _subscriber gave already, with its shared packets, for diagnose --bundle)."""
    from chrtool.output import extract as ex
    if found is None:
        shared = {}
        ev, sessions, ue, _ = _subscriber(run, imsi, msisdn, shared=shared)
        _missing(ue, imsi, msisdn)
    else:
        ev, sessions, ue, shared = found
    try:
        return ex.write(run, ex.plan(run, ev, sessions, ue, shared), output)
    except OSError as exc:                     # the temporary name would only confuse
        raise _write_failed(output, exc) from exc


def _missing(ue, imsi, msisdn):
    if ue is None:
        click.echo(f"chrtool: note: no message of {'IMSI ' + imsi if imsi else 'MSISDN ' + msisdn} "
                   f"in the inputs" + ("" if imsi else " (MSISDN is known only from S6a/S11 data; "
                                                       "try --imsi)"), err=True)


@main.command(context_settings=CONTEXT)
@INPUTS
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The procedure table: FILE.parquet, FILE.csv or FILE.jsonl.")
@click.option("--imsi", help="Only this subscriber's procedures.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes building procedures in parallel (each holds one shard of "
                   "subscribers).")
@reading
def procedures(inputs, output, imsi, workers, read):
    """Write every subscriber's procedures as a table for analysts (pandas, polars, duckdb).

    One row per procedure: subscriber, kind, interface, start, end, outcome (success, reject,
    failure, timeout, abandoned, interrupted, open), the node that answered (or stayed silent),
    the cause, its parent procedure, and its messages as JSON text. Rows come subscriber by
    subscriber, grouped in shards of subscribers; sort by `subscriber, start` for time order.

    Memory stays bounded whatever the inputs' size: the inputs are decoded once to link them
    (compact columns), once more to sort each message to its subscriber's shard on disk (under
    $TMPDIR, about the size of the inputs), and each shard is then built alone.
    """
    from chrtool.output.procedures import procedure_rows, write_procedures
    fmt = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl"}.get(
        os.path.splitext(output)[1].lower())
    if fmt is None:
        raise click.UsageError(f"-o {output}: name a .parquet, .csv or .jsonl file")
    run = _run(inputs, read)
    if imsi:
        from chrtool.link.procedures import build
        ev, sessions, ue, _ = _subscriber(run, _imsi(imsi), None)
        rows = procedure_rows(ev, sessions, build(ev, sessions, [ue.index] if ue else []))
        try:
            write_procedures(rows, fmt, output)
        except OSError as exc:
            raise _write_failed(output, exc) from exc
        click.echo(f"chrtool: {len(rows)} procedures of {1 if ue else 0} subscribers in {output}",
                   err=True)
        _exit(run)
    with _by_subscriber(inputs, read, workers) as job:
        prep, parts, counts = job.procedures()
        try:
            _write_parts(parts, fmt, output)
        except OSError as exc:
            raise _write_failed(output, exc) from exc
    _job_problems(run, prep)
    click.echo(f"chrtool: {sum(counts.values())} procedures of {len(prep.sessions.ues)} "
               f"subscribers in {output}", err=True)
    _exit(run)


@contextlib.contextmanager
def _by_subscriber(inputs, read, workers=1):
    """A batch job in a temporary folder, for commands that need every subscriber's events
    (procedures, stats --subscribers) without holding them all in memory."""
    import shutil
    import tempfile
    from chrtool.batch.engines import LocalEngine
    from chrtool.batch.job import Job
    bar, progress = _stage_progress()
    work = tempfile.mkdtemp(prefix="chrtool-")
    try:
        yield Job(inputs, work, LocalEngine(workers), progress=progress,
                  options={"maps": list(read["maps"]), "nas_null_cipher": read["nas_null_cipher"]},
                  clock_skew_ns=read["clock_skew_ns"])
    except OSError as exc:
        if not os.path.abspath(str(exc.filename or "")).startswith(work):
            raise
        if bar:
            bar.stop()
            bar = None
        click.echo(f"chrtool: error: cannot write the subscriber shards under "
                   f"{os.path.dirname(work)} ({exc.strerror or exc}); set TMPDIR to a folder with "
                   "room for about the size of the inputs", err=True)
        sys.exit(1)
    finally:
        if bar:
            bar.stop()
        shutil.rmtree(work, ignore_errors=True)


def _job_problems(run, prep):
    """The input problems the job's decoding met, on stderr as a reading command reports them
    (a file that could not be read at all counts as failed)."""
    for st in prep.statuses:
        for problem in st["problems"]:
            _warn(problem)
        if st["problem_count"] > len(st["problems"]):
            _warn(f"{st['path']}: {st['problem_count'] - len(st['problems'])} more problems")
        run.problems.extend([None] * st["problem_count"])
        if st["status"] == "quarantined":
            click.echo(f"chrtool: error: {st['path']}: {st['reason']}", err=True)
            run.failed.append(st["path"])


def _write_parts(parts, fmt, output):
    """The shards' Parquet parts as one procedure table in `fmt`, part by part."""
    from chrtool.output.tables import concat_parquet
    if fmt == "parquet":
        concat_parquet(output, parts)
        return
    import pyarrow.parquet as pq
    from chrtool.output.procedures import write_procedures

    def rows():
        for p in parts:
            for batch in pq.ParquetFile(p).iter_batches():
                for row in batch.to_pylist():
                    if fmt == "jsonl":          # nested again, as written without shards
                        row["causes"], row["frames"] = (json.loads(row["causes"]),
                                                        json.loads(row["frames"]))
                    yield row
    write_procedures(rows(), fmt, output)


def _ticket(complaint, tickets):
    from chrtool.inputs.tickets import read_tickets
    if not tickets:
        raise click.UsageError("--complaint needs --tickets FILE")
    problems = []
    try:
        found = read_tickets(tickets, on_problem=problems.append)
    except InputError as exc:
        raise click.UsageError(str(exc)) from exc
    ticket, line = found.get(complaint), found.line_of.get(complaint)
    for problem in problems:
        # the ticket's own time is an error below if it is needed, and no matter if not
        if problem.line != line or problem.layer != "tickets/time":
            _warn(problem)
    if ticket is None:
        raise click.UsageError(f"ticket {complaint} is not in {tickets}" + (
            f" ({found.skipped} damaged row(s) reported above: one may have held it)"
            if found.skipped else ""))
    return ticket, line


def _subscriber(run, imsi, msisdn, with_causes=False, shared=None):
    """(the subscriber's events, sessions over them, the subscriber's UE or None, those events
    without the copies a second probe saw[, with_causes: the run's failing causes by
    subscriber, for the cell view]). `shared` (a dict, for extract) is filled with the
    subscriber's packets that carry other subscribers' messages too.

    Linking has to see every message but keeps only compact link columns of each
    (chrtool/link/columns.py); the subscriber's own rows are then decoded again, so memory
    follows the subscriber, not the inputs."""
    import numpy as np
    from chrtool.link.columns import LinkColumns
    from chrtool.link.correlate import correlate_columns
    lc = LinkColumns.for_inputs(run.nbytes, len(run.sources))
    bar, step = _progress(run, "decoding and linking")
    with (bar or contextlib.nullcontext()):
        for _, table in run.batches(step):
            lc.add_table(table)
    lc.finish()
    causes = lc.take_causes()
    # which packet each row came from, kept only for extract (8 bytes a message)
    keys = None
    if shared is not None:
        from chrtool.output.extract import packet_keys
        keys = packet_keys(lc.file_id, lc.frame)
    sessions = correlate_columns(lc, run.clock_skew_ns, consume=True)
    del lc
    from chrtool.diagnose.cells import CauseIndex
    index = CauseIndex(causes, sessions.ue_of_row, run.files)
    found = sessions.find(imsi=imsi, msisdn=msisdn)
    ue = found[0] if found else None
    if keys is not None and ue is not None:
        from chrtool.output.extract import shared_packets
        shared.update(shared_packets(keys, sessions.ue_of_row, sessions.ues, ue.index))
    del keys
    rows = sessions.rows_of(ue.index, duplicates=True) if ue else np.zeros(0, np.int64)
    bar, step = _progress(run, "decoding the subscriber's messages")
    with (bar or contextlib.nullcontext()):
        ev = run.take(rows, step)
    sessions = sessions.subset(rows)
    own = ev.take(sessions.rows_of(ue.index)) if ue else ev
    if with_causes:
        return ev, sessions, ue, own, index
    return ev, sessions, ue, own


@main.command(context_settings=CONTEXT)
@click.option("--imsi", help="Subscriber IMSI (digits).")
@click.option("--msisdn", help="Subscriber MSISDN; needs S6a or S11 data that carries it.")
@click.option("--complaint", help="Ticket number to look up in --tickets.")
@click.option("--tickets", type=click.Path(exists=True, dir_okay=False),
              help="Complaint tickets CSV (ticket, msisdn and/or imsi, time, address, ...).")
@click.option("--since", help="Only failures at or after this time (ISO-8601, UTC if no zone).")
@click.option("--until", help="Only failures at or before this time.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text",
              show_default=True)
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the reply text for the ticket.")
@click.option("--tz", help="Time zone of the times in summary and reply: an IANA name "
                           "(Asia/Shanghai) or an offset (+08:00). Default: the ticket's, else UTC.")
@click.option("--bundle", type=click.Path(file_okay=False),
              help="Also write a folder to attach to the ticket: report.html, findings.json, "
                   "capture.pcapng (the subscriber's packets, with its frames.csv sidecar), "
                   "timeline.txt and README.txt (inputs with size and hash, version, command "
                   "line, time zone). Created if missing; its files are replaced.")
@click.option("-o", "--output", type=click.Path(dir_okay=False))
@INPUTS
@reading
def diagnose(imsi, msisdn, complaint, tickets, since, until, fmt, lang, tz, bundle, output,
             inputs, read):
    """Find which node broke one subscriber's signalling, with which cause, and what to do.

    Name the subscriber by --imsi, --msisdn, or --complaint with --tickets (the ticket's IMSI or
    MSISDN is used; without --since/--until the window is the 24 hours before the complaint time
    to 1 hour after). A healthy subscriber gets no findings; every finding names its evidence
    frames.

    Each finding is the root cause of a failed procedure: the earliest abnormal answer behind
    the reject the subscriber saw (an HSS result, a gateway's cause, the ESM cause inside
    Attach Reject #19, a node that did not answer), with what followed it as consequences,
    repeats folded into a count, a confidence, and a reply for the ticket (--lang, times in
    --tz or the ticket's zone). The same cause at the same cell or node for several
    subscribers at once is reported as a common problem. With a ticket, the findings that
    explain its phenomenon ("no 5G icon", "dropped call", ...) come first; "no 5G" also
    explains a missing 5G leg when nothing was rejected.

    \b
    Examples:
      chrtool diagnose --imsi 001010000000002 samples/
      chrtool diagnose --complaint T2026112700017 --tickets samples/tickets.csv --lang zh samples/
      chrtool diagnose --imsi 001010000000002 --tz Asia/Shanghai --format html -o r.html samples/
    """
    from chrtool.output import report
    from chrtool.inputs.tickets import ticket_zone
    from chrtool.diagnose.cells import common_problems
    from chrtool.diagnose.engine import diagnose_ue
    from chrtool.table.names import iso
    since_ns, until_ns = _time(since, "--since"), _time(until, "--until")
    zone = _zone(tz)
    zone_from = "--tz" if zone else "the default"
    phenomenon = None
    if complaint:
        from chrtool.diagnose.phenomena import classify
        ticket, line = _ticket(complaint, tickets)
        if zone is None and ticket_zone(ticket) is not None:
            zone, zone_from = ticket_zone(ticket), "the ticket's"
        phenomenon = classify(ticket.phenomenon)
        where = f"ticket {complaint} in {tickets} (line {line}):"
        imsi = _imsi(imsi) or _imsi(ticket.imsi or None, f"{where} IMSI")
        msisdn = _msisdn(msisdn) or _msisdn(ticket.msisdn or None, f"{where} MSISDN")
        if not (imsi or msisdn):
            raise click.UsageError(f"{where} no IMSI or MSISDN: give --imsi or --msisdn")
        try:                                   # the time matters only for a missing bound
            t = ticket.time_ns() if since_ns is None or until_ns is None else None
        except InputError as exc:
            raise click.UsageError(f"{where} {exc}; or give --since and --until") from exc
        if t is not None:                      # complaints come after the fact
            since_ns = t - 24 * 3600 * 10**9 if since_ns is None else since_ns
            until_ns = t + 3600 * 10**9 if until_ns is None else until_ns
    else:
        imsi, msisdn = _who(imsi, msisdn)
    if since_ns is not None and until_ns is not None and since_ns > until_ns:
        raise click.UsageError(f"the window is empty: --since {iso(since_ns)} is after --until "
                               f"{iso(until_ns)}; swap them")
    if bundle:
        try:
            os.makedirs(bundle, exist_ok=True)
        except OSError as exc:
            raise click.UsageError(f"--bundle {bundle}: cannot create the directory "
                                   f"({exc.strerror}); choose another") from exc
    run = _run(inputs, read)
    shared = {} if bundle else None            # the capture needs the bundled packets too
    ev, sessions, ue, own, index = _subscriber(run, imsi, None if imsi else msisdn,
                                               with_causes=True, shared=shared)
    from chrtool.link.procedures import build
    procs = build(ev, sessions, [ue.index]) if ue else []   # once: the findings and the ladder
    findings = diagnose_ue(ev, sessions, ue, since_ns, until_ns, lang, tz=zone,
                           phenomenon=phenomenon, causes=index, procedures=procs) if ue else []
    common = common_problems(findings, index, ue.index, lang, zone, sessions.roles) if ue else []
    _missing(ue, imsi, msisdn)
    doc = report.diagnosis_document(
        complaint, ue.imsi if ue else imsi, (ue.msisdn if ue else None) or msisdn,
        iso(since_ns) if since_ns is not None else None,
        iso(until_ns) if until_ns is not None else None,
        [s.path for s in run.sources], ue.connections if ue else 0, findings, run.problems,
        common, report.ticket_echo(ticket) if complaint else None)
    timeline = None
    if fmt != "json" or bundle:                # the procedures, as chrtool timeline shows them
        from chrtool.output.procedures import timeline_document
        timeline = timeline_document(ev, sessions, ue, procs, imsi, msisdn)
    page = None
    if fmt == "html" or bundle:
        from chrtool.output.html import report_html, s1_senders
        page = report_html(timeline, doc, sessions.roles, lang, zone, s1_senders(ev))
    with _out(output) as out:
        if fmt == "json":
            out.write(report.to_json(doc))
        elif fmt == "html":
            out.write(page)
        else:
            _write_styled(out, report.diagnosis_styled(doc, lang, timeline))
    if bundle:
        _bundle(bundle, run, doc, page, timeline, (ev, sessions, ue, shared), imsi, msisdn,
                zone, zone_from)
    _exit(run)


def _colour(out):
    """Whether to colour text for `out`: only standard output on a terminal, never with
    NO_COLOR set (no-color.org) or TERM=dumb, so a pipe or a file gets plain text."""
    return (out is sys.stdout and out.isatty() and not os.environ.get("NO_COLOR")
            and os.environ.get("TERM") != "dumb")


def _write_styled(out, text):
    """A rich Text: coloured on a terminal, its plain characters anywhere else (the same
    characters either way: soft_wrap keeps rich from folding long lines)."""
    if not _colour(out):
        out.write(text.plain)
        return
    from rich.console import Console
    Console(file=out, force_terminal=True, highlight=False, soft_wrap=True, markup=False,
            emoji=False).print(text, end="")


def _bundle(outdir, run, doc, page, timeline, found, imsi, msisdn, zone, zone_from):
    """diagnose --bundle: the report (`page`), findings, capture, timeline and README from
    the rows decoded once for the diagnosis."""
    from chrtool.batch.store import fingerprint
    from chrtool.output import procedures as ladder
    from chrtool.output.bundle import write_bundle
    timeline = ladder.timeline_text(timeline)
    inputs = []
    for s in run.sources:
        try:
            inputs.append(fingerprint(s.path))
        except OSError as exc:
            inputs.append({"path": s.path, "error": f"cannot be read: {exc.strerror or exc}"})
    try:
        write_bundle(outdir, doc, page, timeline, inputs, ARGV,
                     zone, zone_from, lambda path: _extract(run, imsi, msisdn, path, found))
    except OSError as exc:
        raise _write_failed(outdir, exc) from exc
    click.echo(f"chrtool: bundle for the ticket in {outdir}", err=True)


@main.command(context_settings=CONTEXT)
@INPUTS
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False),
              help="Directory for the outputs (created; an earlier run's work in it is reused).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Parallel workers (default: the machine's cores, at most 8; with --engine dask "
                   "and no --scheduler, the LocalCluster's worker processes, default 2).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local: a process pool on this machine; dask: Dask distributed.")
@click.option("--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (with "
                                  "--engine dask; without it a LocalCluster is started).")
@click.option("--tickets", type=click.Path(exists=True, dir_okay=False),
              help="The day's complaint tickets CSV: each is diagnosed and sorted into must-solve, "
                   "regular or not-now (tickets.parquet, tickets/<ticket>.html).")
@click.option("--since", help="Only failures at or after this time (ISO-8601, UTC if no zone).")
@click.option("--until", help="Only failures at or before this time.")
@click.option("--events", is_flag=True, help="Also write every message as events.parquet.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the replies and summaries.")
@click.option("--tz", help="Time zone of the times in replies (IANA name or +08:00; default: each "
                           "ticket's own, else UTC).")
@reading
def batch(inputs, outdir, workers, engine, scheduler, tickets, since, until, events, lang, tz, read):
    """Diagnose every subscriber of a night's exports, on one machine or a Dask cluster.

    Each input is decoded in parallel; subscribers are linked across all files (rotated
    captures, several probes, CHR); each shard of subscribers is diagnosed as `chrtool
    diagnose` would. OUTDIR gets findings.parquet, sessions.parquet (procedures), cells.parquet
    (per cell, hour and cause: failures and KPIs), common_problems.parquet, tickets.parquet
    (with --tickets), events.parquet (with --events), report.html, report.txt and
    manifest.json (inputs with size, hash and status).

    A file that cannot be read is quarantined (named in the manifest and the report) and the
    rest goes on. The job can be killed at any moment: rerun the same command and it does only
    what is left, giving the same bytes; the outputs do not depend on --workers or --engine.

    \b
    Examples:
      chrtool batch /data/night/ -o out/ --tickets tickets.csv
      chrtool batch /data/night/ -o out/ --engine dask --scheduler tcp://10.0.0.5:8786
    """
    from chrtool.batch.engines import engine as make_engine
    from chrtool.batch.job import Job
    from chrtool.inputs.sources import expand
    from chrtool.table.names import iso
    since_ns, until_ns = _time(since, "--since"), _time(until, "--until")
    if since_ns is not None and until_ns is not None and since_ns > until_ns:
        raise click.UsageError(f"the window is empty: --since {iso(since_ns)} is after --until "
                               f"{iso(until_ns)}; swap them")
    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler goes with --engine dask")
    try:
        expand(inputs)
    except InputError as exc:
        raise click.UsageError(str(exc)) from exc
    if tickets:
        from chrtool.inputs.tickets import read_tickets
        try:
            read_tickets(tickets, on_problem=_warn)   # damaged rows are named once, here
        except InputError as exc:
            raise click.UsageError(str(exc)) from exc
    try:
        os.makedirs(outdir, exist_ok=True)
    except OSError as exc:
        raise click.UsageError(f"-o {outdir}: cannot create the directory ({exc.strerror}); "
                               "choose another") from exc
    try:
        runner = make_engine(engine, workers, scheduler)
    except ImportError as exc:
        click.echo(f"chrtool: error: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"chrtool: error: cannot reach the Dask scheduler {scheduler}: {exc}", err=True)
        sys.exit(1)
    bar, progress = _stage_progress()
    job = Job(inputs, outdir, runner, tickets=tickets, since_ns=since_ns, until_ns=until_ns,
              events=events, lang=lang, tz=_zone(tz),
              options={"maps": list(read["maps"]), "nas_null_cipher": read["nas_null_cipher"]},
              clock_skew_ns=read["clock_skew_ns"], progress=progress)
    try:
        summary = job.run()
    finally:
        runner.close()
        if bar:
            bar.stop()
    click.echo(f"chrtool batch: {summary['inputs']} inputs ({summary['quarantined']} quarantined), "
               f"{summary['subscribers']} subscribers, {summary['findings']} findings, "
               f"{summary['common_problems']} common problems"
               + (f", {summary['tickets']} tickets" if tickets else "") + f" in {outdir}", err=True)
    if summary["quarantined"] and read["strict"]:
        sys.exit(1)


def _stage_progress():
    """(the bar, a function that starts a stage and returns its step): a progress bar per stage on
    a terminal (rich), nothing in a pipe."""
    if not sys.stderr.isatty():
        return None, None
    from rich.progress import Progress
    bar = Progress(transient=False)
    bar.start()

    def stage(name, total):
        task = bar.add_task(name, total=total)
        return lambda: bar.advance(task)
    return bar, stage


@main.command(context_settings=CONTEXT)
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False),
              help="Directory to write (required unless --list).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--ues", type=int, default=50, show_default=True, help="Subscribers (ignored with --size).")
@click.option("--cells", type=int, default=6, show_default=True, help="LTE cells (3 per eNB).")
@click.option("--scenario", "scenarios", multiple=True, help="Scenario name (repeatable; default all).")
@click.option("--hours", type=float, default=1.0, show_default=True, help="Length of the day the starts spread over.")
@click.option("--size", "size_mb", type=float, default=None, help="Write about this many MB instead of --ues.")
@click.option("--files", type=int, default=1, show_default=True, help="Rotate each probe's capture into K files.")
@click.option("--no-noise", is_flag=True, help="No second probe, retransmissions or M-TMSI reuse.")
@click.option("--chr-format", "chr_formats", default="chr-v1", show_default=True,
              help="Comma-separated CHR outputs: chr-v1 (DIR/chr), csv or huawei-csv (Huawei-style "
                   "CSV, DIR/chr-csv), ericsson-csv (Ericsson-style CTR CSV, DIR/chr-ericsson), "
                   "xml (32.423 eNB traces, DIR/trace-xml).")
@click.option("--list", "list_", is_flag=True, help="Name the scenarios and exit.")
def simulate(outdir, seed, ues, cells, scenarios, hours, size_mb, files, no_noise, chr_formats, list_):
    """Write simulated captures and CHR with a ground truth (DIR/truth.json)."""
    try:
        import pycrate_asn1rt  # noqa: F401  (the simulate extra)
    except ImportError:
        click.echo("chrtool simulate needs pycrate: pip install 'chrtool[simulate]'", err=True)
        sys.exit(1)
    from chrtool.simulate import catalogue, world
    if list_:
        for sc in catalogue.SCENARIOS.values():
            click.echo(f"{sc.name:30} {sc.doc}")
        return
    if not outdir:
        raise click.UsageError("-o/--output DIR is required")
    unknown = [n for n in scenarios if n not in catalogue.SCENARIOS]
    if unknown:
        raise click.BadParameter(f"unknown scenario(s) {', '.join(unknown)} (see --list)",
                                 param_hint="--scenario")
    if files < 1 or ues < 1 or cells < 1 or hours <= 0:
        raise click.UsageError("--files, --ues, --cells and --hours must be positive")
    formats = [f.strip() for f in chr_formats.split(",") if f.strip()]
    from chrtool.simulate.chr_export import FORMATS
    if not formats or set(formats) - set(FORMATS):
        raise click.BadParameter(f"{chr_formats!r}: choose from {', '.join(FORMATS)}", param_hint="--chr-format")
    try:
        counts = world.run(outdir, seed=seed, ues=ues, cells=cells, scenarios=scenarios, hours=hours,
                           size_mb=size_mb, files=files, noise=not no_noise, chr_formats=formats)
    except ValueError as exc:       # a combination the network cannot play (e.g. no neighbours)
        raise click.UsageError(str(exc)) from exc
    click.echo(f"chrtool simulate: {counts['ues']} subscribers, {counts['packets']} packets, "
               f"{counts['chr_records']} CHR records, {counts['bytes'] / 1e6:.1f} MB in {outdir}", err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
