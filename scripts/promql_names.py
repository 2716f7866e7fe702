"""The metric names in PromQL queries, and the list of names ClipCut's services export.

Shared by scripts/k8s_check.py (offline: every query of k8s/optional/grafana-dashboard.json and
k8s/optional/prometheus-rules*.yaml uses only names k8s/optional/metric-names.txt lists) and
Tests/Hostile/metric_names.py (live: every such name is in a scrape of the service that exports
it). Python standard library only.
"""

import json
import re
from dataclasses import dataclass, field

# The five services that answer GET /metrics ("all" in metric-names.txt).
SERVICES = ("user-service", "upload-service", "audio-service", "processing-service", "monitoring-service")
# Exporters in metric-names.txt that are not ClipCut's (never scraped from a service).
FOREIGN_EXPORTERS = ("prometheus", "kubelet")
TYPES = ("counter", "gauge", "histogram")
REGISTRATIONS = ("eager", "first-request", "first-transcription")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
# Labels Prometheus gives every series of a target (scrape config, relabelling), not the exporter.
TARGET_LABELS = {"job", "instance", "namespace", "pod", "service", "container", "endpoint"}

AGGREGATIONS = {
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
    "quantile", "limitk", "limit_ratio",
}
FUNCTIONS = {
    "abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh", "avg_over_time",
    "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh", "count_over_time", "day_of_month",
    "day_of_week", "day_of_year", "days_in_month", "deg", "delta", "deriv", "double_exponential_smoothing", "exp",
    "floor", "histogram_avg", "histogram_count", "histogram_fraction", "histogram_quantile", "histogram_stddev",
    "histogram_stdvar", "histogram_sum", "holt_winters", "hour", "idelta", "increase", "info", "irate",
    "label_join", "label_replace", "last_over_time", "ln", "log10", "log2", "mad_over_time", "max_over_time",
    "min_over_time", "minute", "month", "pi", "predict_linear", "present_over_time", "quantile_over_time", "rad",
    "rate", "resets", "round", "scalar", "sgn", "sin", "sinh", "sort", "sort_by_label", "sort_by_label_desc",
    "sort_desc", "sqrt", "stddev_over_time", "stdvar_over_time", "sum_over_time", "tan", "tanh", "time",
    "timestamp", "vector", "year",
}
# Words that are never metric names; the ones in LABEL_LIST_KEYWORDS are followed by a
# parenthesised list of label names.
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left",
            "group_right", "inf", "nan", "start", "end"}
LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}

TOKEN = re.compile(r"""
    (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<variable>\$\{[^}]*\}|\$\w+)
  | (?P<range>\[[^\]]*\])
  | (?P<number>0x[0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?[a-zA-Z]*)
  | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<space>\s+)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)


@dataclass
class Metric:
    name: str
    type: str
    exporters: list
    registered: str
    labels: set = field(default_factory=set)

    @property
    def services(self):
        """The ClipCut services that export it (none for a foreign exporter)."""
        return [e for e in self.exporters if e in SERVICES]


def read_metric_list(text):
    """({name: Metric}, [problems]) from metric-names.txt."""
    metrics, problems = {}, []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        columns = line.split()
        if len(columns) != 5:
            problems.append(f"line {number}: expected 5 columns (name type exported-by registered labels), got {len(columns)}")
            continue
        name, kind, exporters, registered, labels = columns
        exporters = list(SERVICES) if exporters == "all" else exporters.split(",")
        if not re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", name):
            problems.append(f"line {number}: {name!r} is not a metric name")
        if kind not in TYPES:
            problems.append(f"line {number}: {name}: type {kind!r} is not one of {', '.join(TYPES)}")
        for exporter in exporters:
            if exporter not in SERVICES and exporter not in FOREIGN_EXPORTERS:
                problems.append(f"line {number}: {name}: {exporter!r} is no service (nor {', '.join(FOREIGN_EXPORTERS)})")
        if registered not in REGISTRATIONS:
            problems.append(f"line {number}: {name}: registered {registered!r} is not one of {', '.join(REGISTRATIONS)}")
        if name in metrics:
            problems.append(f"line {number}: {name} is listed twice")
        metrics[name] = Metric(name, kind, exporters, registered, set() if labels == "-" else set(labels.split(",")))
    return metrics, problems


def _tokens(expr):
    return [(m.lastgroup, m.group()) for m in TOKEN.finditer(expr) if m.lastgroup != "space"]


def selectors(expr):
    """([(metric name, {label names of its matchers})], [names called as functions]) of `expr`:
    every identifier that is not a function, aggregation, keyword or label, in order. Strings,
    ranges, numbers and durations, and Grafana variables ($x, ${x}) are skipped."""
    tokens = _tokens(expr)
    uses, functions = [], []
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else (None, None)
        if kind == "ident" and text in LABEL_LIST_KEYWORDS and following[1] == "(":
            # Skip the label list.
            j = i + 2
            while j < len(tokens) and tokens[j][1] != ")":
                j += 1
            i = j + 1
            continue
        if kind == "ident" and following[1] == "(":
            functions.append(text)
            i += 1
            continue
        if kind == "ident" and text not in KEYWORDS and text not in AGGREGATIONS:
            labels = set()
            j = i + 1
            if following[1] == "{":
                j = _matchers(tokens, i + 2, labels)
            uses.append((text, labels))
            i = j
            continue
        if kind == "other" and text == "{":
            # A selector without a name before it: {__name__="x"} or {job="a"}.
            labels = set()
            j = _matchers(tokens, i + 1, labels)
            i = j
            continue
        i += 1
    return uses, functions


def _matchers(tokens, start, labels):
    """Reads `label op "value", ...}` from tokens[start]; adds the label names; returns the index
    after the closing brace."""
    j = start
    while j < len(tokens) and tokens[j][1] != "}":
        if tokens[j][0] == "ident" and j + 1 < len(tokens) and tokens[j + 1][1] in ("=", "!"):
            labels.add(tokens[j][1])
        j += 1
    return j + 1


def metric_uses(expr):
    """(metric names with their matcher label names, unknown functions) of one PromQL expression."""
    uses, functions = selectors(expr)
    unknown = [f for f in functions if f not in FUNCTIONS and f not in AGGREGATIONS and f not in ("start", "end")]
    return uses, unknown


def resolve(name, metrics):
    """(the listed Metric a series name belongs to, None) or (None, why not)."""
    if name in metrics:
        metric = metrics[name]
        if metric.type == "histogram":
            return None, f"{name} is a histogram: query {name}_bucket, {name}_sum or {name}_count"
        return metric, None
    for suffix in HISTOGRAM_SUFFIXES:
        base = name[: -len(suffix)] if name.endswith(suffix) else None
        if base and base in metrics and metrics[base].type == "histogram":
            return metrics[base], None
    return None, f"{name} is no metric the services export (k8s/optional/metric-names.txt)"


def check_expression(expr, metrics, recorded=()):
    """Problems with one PromQL expression: unknown metric names, a histogram queried without
    its suffix, a matcher on a label the metric does not have, an unknown function."""
    problems = []
    uses, unknown = metric_uses(expr)
    for function in unknown:
        problems.append(f"{function}() is no PromQL function")
    for name, labels in uses:
        if name in recorded:
            continue
        metric, why = resolve(name, metrics)
        if metric is None:
            problems.append(why)
            continue
        allowed = metric.labels | TARGET_LABELS | ({"le"} if metric.type == "histogram" and name.endswith("_bucket") else set())
        for label in sorted(labels - allowed - {"__name__"}):
            problems.append(f"{name} has no label {label!r} (it has: {', '.join(sorted(metric.labels)) or 'none'})")
    return problems


# ------------------------------------------------------------------------------------------
# Grafana


def _panels(panels):
    for panel in panels or []:
        yield panel
        yield from _panels(panel.get("panels"))


def dashboard_queries(dashboard):
    """[(where, PromQL expression)] of a Grafana dashboard model: every panel target's `expr` and
    every query variable's query (label_values(selector, label) gives its selector)."""
    queries = []
    for panel in _panels(dashboard.get("panels")):
        for target in panel.get("targets") or []:
            if "expr" in target:
                queries.append((f"panel {panel.get('id')} {panel.get('title')!r} target {target.get('refId')}", target["expr"]))
    for variable in (dashboard.get("templating") or {}).get("list") or []:
        if variable.get("type") != "query":
            continue
        query = variable.get("query")
        if isinstance(query, dict):
            query = query.get("query")
        if not query:
            continue
        match = re.fullmatch(r"\s*label_values\((.*),\s*([a-zA-Z_]\w*)\s*\)\s*", query, re.DOTALL)
        if match:
            query = match.group(1)
        elif re.fullmatch(r"\s*label_values\(\s*[a-zA-Z_]\w*\s*\)\s*", query):
            continue
        else:
            match = re.fullmatch(r"\s*query_result\((.*)\)\s*", query, re.DOTALL)
            query = match.group(1) if match else query
        queries.append((f"variable {variable.get('name')!r}", query))
    return queries


def read_dashboard(text):
    return json.loads(text)


# ------------------------------------------------------------------------------------------
# Rules files, read without a YAML library (the live check runs on the standard library only;
# scripts/k8s-check checks that this reader finds exactly the expressions a YAML parser finds).


def rule_expressions(text):
    """[(alert or record name, expr)] of a Prometheus rules file (or a PrometheusRule) written as
    ours are: `expr:` with a plain or quoted one-line value or a `|`/`|-`/`>-` block. (Recording
    rules are named level:metric:operations, with colons; alerts never have one.)"""
    lines = text.splitlines()
    found, name = [], None
    i = 0
    while i < len(lines):
        line = lines[i]
        named = re.match(r"^\s*(?:- )?(?:alert|record):\s*(\S.*?)\s*$", line)
        if named:
            name = named.group(1).strip("'\"")
        match = re.match(r"^(\s*)(?:- )?expr:\s*(.*?)\s*$", line)
        if not match:
            i += 1
            continue
        key_column = line.index("expr:")
        value = match.group(2)
        if value[:1] in ("|", ">"):
            block = []
            i += 1
            while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > key_column):
                block.append(lines[i])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            indent = min((len(b) - len(b.lstrip()) for b in block if b.strip()), default=0)
            body = [b[indent:] for b in block]
            expr = (" " if value.startswith(">") else "\n").join(body)
            found.append((name, expr))
            continue
        if value[:1] in ("'", '"'):
            quote = value[0]
            value = value[1:-1]
            value = value.replace("''", "'") if quote == "'" else value.encode().decode("unicode_escape")
        found.append((name, value))
        i += 1
    return found
