"""Pipeline specs: operators by registered name + arguments + the graph, as YAML or JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from junco.plan import Node, NodeKind, Plan, PlanError

SPEC_VERSION = 1


def _op_spec(node: Node) -> dict[str, Any]:
    fn = node.fn
    spec = getattr(fn, "__junco_spec__", None)
    if spec is None and getattr(fn, "__junco_name__", None):
        spec = {"op": fn.__junco_name__, "args": {}}
    if spec is None:
        raise PlanError(f"node {node.name} uses {fn!r}, which is not a registered operator; register it "
                        "with @register('namespace/name') and build it with ops.namespace.name(...) "
                        "to save this pipeline")
    return {"op": spec["op"], "args": dict(spec.get("args", {}))}


def plan_to_spec(plan: Plan) -> dict[str, Any]:
    """The plan as plain data; raises :class:`PlanError` for operators that cannot be named."""
    index = {n.uid: i for i, n in enumerate(plan.nodes)}
    nodes = []
    for n in plan.nodes:
        d: dict[str, Any] = {"kind": n.kind.value, "inputs": list(n.inputs), "outputs": list(n.outputs),
                             "parents": [index[p.uid] for p in n.parents]}
        if n.fn is not None:
            d.update(_op_spec(n))
        params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in n.params.items()}
        if params:
            d["params"] = params
        nodes.append(d)
    return {"junco_pipeline": SPEC_VERSION, "window_scope": plan.window_scope, "nodes": nodes}


def spec_to_plan(spec: dict[str, Any]) -> Plan:
    from junco.ops import create

    if not isinstance(spec, dict) or spec.get("junco_pipeline") != SPEC_VERSION:
        found = spec.get("junco_pipeline") if isinstance(spec, dict) else type(spec).__name__
        raise PlanError(f"not a junco pipeline spec (version {found!r})")
    nodes = spec.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        raise PlanError("malformed pipeline spec: 'nodes' must be a non-empty list")
    built: list[Node] = []
    for i, d in enumerate(nodes):
        # a hand-edited or truncated spec: say which node is wrong instead of a bare KeyError/IndexError
        try:
            fn = create(d["op"], **(d.get("args") or {})) if "op" in d else None
            params = {k: (tuple(v) if isinstance(v, list) else v) for k, v in (d.get("params") or {}).items()}
            parents = [built[p] for p in d["parents"] if isinstance(p, int) and 0 <= p < i]
            if len(parents) != len(d["parents"]):
                raise ValueError(f"parents {d['parents']!r} must be indices of earlier nodes")
            built.append(Node(NodeKind(d["kind"]), _names(d["inputs"]), _names(d["outputs"]), fn,
                              tuple(parents), params))
        except (KeyError, IndexError, TypeError, AttributeError, ValueError) as e:
            detail = f"missing key {e}" if isinstance(e, KeyError) else str(e)
            raise PlanError(f"malformed pipeline spec: node {i}: {detail}") from e
    return Plan.from_output(built[-1], window_scope=spec.get("window_scope", "input"))


def _names(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(c, str) for c in value):
        raise ValueError(f"column lists are lists of names, got {value!r}")
    return tuple(value)


def spec_to_pipe(spec: dict[str, Any], **kw: Any) -> Any:
    from junco.pipeline._runnable import Pipeline

    return Pipeline(spec_to_plan(spec), **kw)


def save_spec(spec: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix in (".yaml", ".yml"):
        import yaml

        text = yaml.safe_dump(spec, sort_keys=False)
    else:
        text = json.dumps(spec, indent=2)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path


def load_spec(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    text = path.read_text()
    if path.suffix in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if not isinstance(data, dict):
        raise PlanError(f"{path}: not a pipeline spec")
    return data
