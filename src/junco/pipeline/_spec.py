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

    if spec.get("junco_pipeline") != SPEC_VERSION:
        raise PlanError(f"not a junco pipeline spec (version {spec.get('junco_pipeline')!r})")
    built: list[Node] = []
    for d in spec["nodes"]:
        fn = create(d["op"], **d.get("args", {})) if "op" in d else None
        params = {k: (tuple(v) if isinstance(v, list) else v) for k, v in (d.get("params") or {}).items()}
        built.append(Node(NodeKind(d["kind"]), tuple(d["inputs"]), tuple(d["outputs"]), fn,
                          tuple(built[i] for i in d["parents"]), params))
    return Plan.from_output(built[-1], window_scope=spec.get("window_scope", "input"))


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
