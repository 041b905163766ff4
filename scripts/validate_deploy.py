"""Static checks of deploy/ (run through scripts/validate-deploy.sh, which
installs the dependencies: PyYAML, jsonschema, kubernetes-validate).

Prints one line per check ("ok" or "FAIL") and exits 1 when any failed.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import jsonschema
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]

import kubernetes_validate
from kubernetes_validate.utils import SchemaNotFoundError, InvalidSchemaError, VersionNotSupportedError

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
KEDA_SCHEMA = DEPLOY / "schemas" / "scaledobject-keda-v1alpha1.json"
K8S_TOML = K8S / "demarche.toml"
ALERTS = ROOT / "config" / "alerts.toml"
CONFIGMAP = K8S / "configmap.yaml"
K8S_VERSIONS = os.environ.get("K8S_VERSIONS", "1.30 1.37").split()
# Grace periods must exceed service.drain_timeout_ms by this much: the drain
# includes the producer flush, but the process still has to exit (a blocking
# Kafka call in progress is waited for) before the SIGKILL.
MARGIN_SECONDS = 10

passed = 0
failures: list[str] = []


def ok(what: str) -> None:
    global passed
    passed += 1
    print(f"ok   {what}")


def fail(what: str, why: str) -> None:
    failures.append(f"{what}: {why}")
    print(f"FAIL {what}: {why}")


def check(cond: bool, what: str, why: str = "") -> bool:
    if cond:
        ok(what)
    else:
        fail(what, why or "not true")
    return cond


def rel(p: Path) -> str:
    # A binary under CARGO_TARGET_DIR may lie outside the repository: then its full path.
    return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p)


# --------------------------------------------------------------------------
# 1. YAML
# --------------------------------------------------------------------------

def load_all_yaml() -> dict[Path, list]:
    docs: dict[Path, list] = {}
    files = sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    if not files:
        fail("YAML files under deploy/", "none found")
    for p in files:
        try:
            with open(p, encoding="utf-8") as f:
                items = [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as e:
            fail(f"YAML parses: {rel(p)}", str(e).replace("\n", " "))
            continue
        docs[p] = items
        ok(f"YAML parses: {rel(p)} ({len(items)} document{'s' if len(items) != 1 else ''})")
    return docs


# --------------------------------------------------------------------------
# 2. Kubernetes schemas
# --------------------------------------------------------------------------

def validate_k8s(docs: dict[Path, list]) -> list[tuple[Path, dict]]:
    objects: list[tuple[Path, dict]] = []
    k8s_files = sorted(p for p in docs if p.parent == K8S)
    if not k8s_files:
        fail("Kubernetes manifests", "no deploy/k8s/*.yaml")
    keda_schema = json.loads(KEDA_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(keda_schema)
    keda = jsonschema.Draft202012Validator(keda_schema)
    for p in k8s_files:
        for doc in docs[p]:
            if not isinstance(doc, dict) or "apiVersion" not in doc or "kind" not in doc:
                fail(f"manifest {rel(p)}", "a document without apiVersion and kind")
                continue
            objects.append((p, doc))
            name = f"{doc['kind']}/{doc.get('metadata', {}).get('name', '?')}"
            if doc["apiVersion"].startswith("keda.sh/"):
                errors = sorted(keda.iter_errors(doc), key=lambda e: list(e.path))
                if errors:
                    for e in errors:
                        fail(f"{rel(p)} {name} against the keda ScaledObject schema",
                             f"{'.'.join(map(str, e.path)) or '(root)'}: {e.message}")
                else:
                    ok(f"{rel(p)} {name} validates against {rel(KEDA_SCHEMA)} (CRD: not in the Kubernetes schemas)")
                continue
            for version in K8S_VERSIONS:
                what = f"{rel(p)} {name} validates against Kubernetes {version} (strict)"
                try:
                    got = kubernetes_validate.validate(doc, version, strict=True)
                    ok(f"{what} [schemas v{got}]")
                except kubernetes_validate.ValidationError as e:
                    fail(what, f"{'.'.join(map(str, e.path)) or '(root)'}: {e.message}")
                except (SchemaNotFoundError, InvalidSchemaError, VersionNotSupportedError) as e:
                    fail(what, getattr(e, "message", str(e)))
    return objects


# --------------------------------------------------------------------------
# 3. Dockerfile build context
# --------------------------------------------------------------------------

def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    buf = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue  # comment lines inside a continuation are ignored by docker
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        buf += stripped
        parts = buf.split(None, 1)
        out.append((parts[0].upper(), parts[1] if len(parts) > 1 else ""))
        buf = ""
    if buf:
        parts = buf.split(None, 1)
        out.append((parts[0].upper(), parts[1] if len(parts) > 1 else ""))
    return out


def go_glob_regex(pattern: str) -> re.Pattern:
    """A .dockerignore pattern (Go filepath.Match plus `**`) as a regex."""
    i, out = 0, ""
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1
                out += "(?:.*/)?"
            else:
                out += ".*"
            continue
        if c == "*":
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "[":
            j = pattern.find("]", i)
            if j < 0:
                out += re.escape(c)
            else:
                cls = pattern[i + 1:j].replace("\\", "\\\\")
                if cls.startswith("^"):
                    cls = "^" + cls[1:]
                out += f"[{cls}]"
                i = j
        else:
            out += re.escape(c)
        i += 1
    return re.compile(out + r"\Z")


def dockerignore_rules() -> list[tuple[bool, re.Pattern, str]]:
    rules = []
    path = ROOT / ".dockerignore"
    if not path.exists():
        return rules
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pat = os.path.normpath(line[1:] if negate else line).lstrip("/")
        rules.append((negate, go_glob_regex(pat), line))
    return rules


def excluded(path: str, rules) -> str | None:
    """The pattern that excludes `path` (relative to the context), if any:
    the last matching rule wins, and a path is out when it or a parent is."""
    parts = path.split("/")
    verdict = None
    for negate, rx, line in rules:
        for k in range(1, len(parts) + 1):
            if rx.match("/".join(parts[:k])):
                verdict = None if negate else line
                break
    return verdict


def check_build_context() -> dict:
    info: dict = {"uid": None, "healthcheck": "", "env": {}, "stages": []}
    if not check(DOCKERFILE.exists(), f"{rel(DOCKERFILE)} exists"):
        return info
    rules = dockerignore_rules()
    ok(f".dockerignore read ({len(rules)} patterns)") if rules else print("note .dockerignore absent: the whole root is the context")
    check(excluded("target", rules) is not None and excluded(".git", rules) is not None,
          ".dockerignore excludes target/ and .git", "target/ or .git would be sent to the builder")
    copies = 0
    for instr, args in dockerfile_instructions(DOCKERFILE.read_text(encoding="utf-8")):
        if instr == "FROM":
            m = re.search(r"\bAS\s+(\S+)", args, re.I)
            if m:
                info["stages"].append(m.group(1))
        elif instr == "USER":
            user = args.split(":")[0].strip()
            info["uid"] = int(user) if user.isdigit() else user
        elif instr == "HEALTHCHECK":
            info["healthcheck"] = args
        elif instr == "ENV":
            for tok in shlex.split(args):
                if "=" in tok:
                    k, v = tok.split("=", 1)
                    info["env"][k] = v
        elif instr in ("COPY", "ADD"):
            if args.lstrip().startswith("["):
                toks = json.loads(args)
                flags = []
            else:
                toks = shlex.split(args)
                flags = [t for t in toks if t.startswith("--")]
                toks = [t for t in toks if not t.startswith("--")]
            src_from = next((f.split("=", 1)[1] for f in flags if f.startswith("--from=")), None)
            sources = toks[:-1]
            if not sources:
                fail(f"{instr} {args}", "no source")
                continue
            if src_from is not None:
                check(src_from in info["stages"], f"{instr} --from={src_from} names an earlier build stage",
                      f"stages: {info['stages']}")
                continue
            for src in sources:
                copies += 1
                if re.match(r"^[a-z]+://", src):
                    ok(f"{instr} {src}: remote source (not in the context)")
                    continue
                matches = glob.glob(str(ROOT / src)) if any(ch in src for ch in "*?[") else [str(ROOT / src)]
                matches = [m for m in matches if os.path.exists(m)]
                if not matches:
                    fail(f"{instr} source {src} exists in the build context", "missing")
                    continue
                hidden = []
                for m in matches:
                    mp = Path(m)
                    files = [mp] if mp.is_file() else [f for f in mp.rglob("*") if f.is_file()]
                    for f in files:
                        why = excluded(rel(f), rules)
                        if why:
                            hidden.append(f"{rel(f)} (by {why!r})")
                if hidden:
                    fail(f"{instr} source {src} is sent to the builder", "excluded by .dockerignore: " + ", ".join(hidden[:5]))
                else:
                    n = sum(1 if Path(m).is_file() else sum(1 for f in Path(m).rglob("*") if f.is_file()) for m in matches)
                    ok(f"{instr} source {src} exists in the build context and is not ignored ({n} file{'s' if n != 1 else ''})")
    check(copies > 0, "Dockerfile copies from the build context")
    check(isinstance(info["uid"], int) and info["uid"] != 0, "runtime image runs as a numeric non-root USER",
          f"USER is {info['uid']!r}")
    check("/healthz" in info["healthcheck"], "HEALTHCHECK probes /healthz", info["healthcheck"] or "no HEALTHCHECK")
    return info


# --------------------------------------------------------------------------
# 4. Agreement between the files, and with the service
# --------------------------------------------------------------------------

def duration_seconds(v) -> float:
    if isinstance(v, (int, float)):
        return float(v)
    total, found = 0.0, False
    for num, unit in re.findall(r"([0-9.]+)(ms|h|m|s)", str(v)):
        found = True
        total += float(num) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    if not found:
        raise ValueError(f"not a duration: {v!r}")
    return total


def find(objects, kind, name=None):
    for p, d in objects:
        if d["kind"] == kind and (name is None or d["metadata"].get("name") == name):
            return d
    return None


def demarche_binary() -> Path | None:
    # CARGO_TARGET_DIR, when set, is where cargo built it.
    target = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
    cands = [target / b / "demarche" for b in ("debug", "release")]
    cands = [c for c in cands if c.exists()]
    return max(cands, key=lambda c: c.stat().st_mtime) if cands else None


def service_accepts(what: str, env: dict, config: Path | None) -> None:
    """Loads the configuration through the real binary (unknown keys and bad
    values are errors there) by running `extract` on empty input."""
    binary = demarche_binary()
    if binary is None:
        print(f"skip {what}: no target/*/demarche built (cargo build) to load it with")
        return
    args = [str(binary)]
    if config:
        args += ["--config", str(config)]
    args += ["extract", "--input", "/dev/null", "--output", "/dev/null"]
    run_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    run_env.update({k: str(v) for k, v in env.items()})
    r = subprocess.run(args, cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=60)
    detail = " ".join((r.stderr or r.stdout).split())[:400] or f"exit {r.returncode}"
    check(r.returncode == 0, f"{what} (loaded by {rel(binary)})", detail)


def replay_flags_known(args: list) -> None:
    """Every flag the replay Job passes is one `demarche replay --help` lists."""
    binary = demarche_binary()
    if binary is None:
        print("skip replay Job flags: no target/*/demarche built (cargo build) to ask")
        return
    r = subprocess.run([str(binary), "replay", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    flags = [a for a in args if isinstance(a, str) and a.startswith("--")]
    unknown = [f for f in flags if re.search(re.escape(f) + r"\b", r.stdout) is None]
    check(r.returncode == 0 and not unknown, "the replay Job's flags are all `demarche replay` flags",
          f"unknown: {unknown}" if unknown else "")


def configmap_data() -> dict:
    return {"alerts.toml": ALERTS.read_text(encoding="utf-8"), "demarche.toml": K8S_TOML.read_text(encoding="utf-8")}


CONFIGMAP_HEADER = """# Generated: do not edit here. Sources: deploy/k8s/demarche.toml (service
# settings) and config/alerts.toml (alert rules); the lexicons and gazetteers
# are baked into the image. Regenerate after editing either source with:
#
#   kubectl create configmap demarche-config -n demarche \\
#     --from-file=demarche.toml=deploy/k8s/demarche.toml \\
#     --from-file=alerts.toml=config/alerts.toml \\
#     --dry-run=client -o yaml > deploy/k8s/configmap.yaml
#
# (or `scripts/validate-deploy.sh --write-configmap`, which writes the same
# data without kubectl). scripts/validate-deploy.sh fails when this file and
# its sources differ.
"""


def write_configmap() -> None:
    class Literal(str):
        pass

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(Literal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v, style="|"))
    doc = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "demarche-config", "namespace": "demarche"},
        "data": {k: Literal(v) for k, v in configmap_data().items()},
    }
    text = yaml.dump(doc, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=1000)
    CONFIGMAP.write_text(CONFIGMAP_HEADER + text, encoding="utf-8")
    print(f"wrote {rel(CONFIGMAP)}")


def check_agreement(objects, docs, image: dict) -> None:
    ns = find(objects, "Namespace")
    namespace = ns["metadata"]["name"] if ns else None
    for p, d in objects:
        if d["kind"] != "Namespace":
            check(d["metadata"].get("namespace") == namespace,
                  f"{rel(p)} {d['kind']}/{d['metadata']['name']} is in namespace {namespace}",
                  f"namespace {d['metadata'].get('namespace')!r}")

    # ConfigMap = its sources.
    cm = find(objects, "ConfigMap")
    if not check(cm is not None, "a ConfigMap is defined"):
        return
    want = configmap_data()
    for key, text in want.items():
        check(cm.get("data", {}).get(key) == text, f"ConfigMap key {key} equals its source",
              "differs: run scripts/validate-deploy.sh --write-configmap")
    check(set(cm.get("data", {})) == set(want), "ConfigMap holds exactly demarche.toml and alerts.toml",
          f"keys {sorted(cm.get('data', {}))}")
    toml_cfg = tomllib.loads(want["demarche.toml"])
    kafka, service = toml_cfg.get("kafka", {}), toml_cfg.get("service", {})
    partitions = kafka.get("partitions", 6)
    drain_ms = service.get("drain_timeout_ms", 20_000)
    http_port = int(service.get("http_addr", "127.0.0.1:9464").rsplit(":", 1)[1])
    check(service.get("http_addr", "").startswith("0.0.0.0:"), "k8s service.http_addr listens on all interfaces",
          f"{service.get('http_addr')!r}: probes from the kubelet could not reach a loopback listener")

    # Deployment.
    dep = find(objects, "Deployment")
    if not check(dep is not None, "a Deployment is defined"):
        return
    spec = dep["spec"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"]["labels"]
    check(all(labels.get(k) == v for k, v in spec["selector"]["matchLabels"].items()),
          "Deployment selector matches its pod labels")
    c = pod["containers"][0]
    ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        g = c.get(probe, {}).get("httpGet", {})
        port = ports.get(g.get("port"), g.get("port"))
        check(g.get("path") == path and port == http_port, f"Deployment {probe} is GET {path} on port {http_port}",
              f"{g}")
    grace = pod.get("terminationGracePeriodSeconds", 30)
    check(grace >= drain_ms / 1000 + MARGIN_SECONDS,
          f"Deployment terminationGracePeriodSeconds ({grace}) >= drain_timeout_ms ({drain_ms} ms) + {MARGIN_SECONDS} s")
    res = c.get("resources", {})
    for kind in ("cpu", "memory"):
        check(kind in res.get("requests", {}) and kind in res.get("limits", {}),
              f"Deployment sets {kind} requests and limits", f"{res}")
    check("replicas" not in spec, "Deployment leaves replicas to the autoscaler", "spec.replicas is set")
    check(spec.get("strategy", {}).get("rollingUpdate", {}).get("maxSurge") in (0, "0", "0%"),
          "Deployment rollout never surges past the partition count", "maxSurge is not 0")
    sc = pod.get("securityContext", {})
    check(sc.get("runAsNonRoot") is True and sc.get("runAsUser") == image.get("uid"),
          f"Deployment runs as the image's non-root uid {image.get('uid')}", f"{sc}")
    env = {e["name"]: e for e in c.get("env", [])}
    cfg_path = env.get("DEMARCHE_CONFIG", {}).get("value", "")
    mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    cm_mount = next((mounts[n] for n, v in vols.items() if v.get("configMap", {}).get("name") == cm["metadata"]["name"] and n in mounts), None)
    check(cm_mount is not None and cfg_path == f"{cm_mount}/demarche.toml",
          f"DEMARCHE_CONFIG ({cfg_path}) is the ConfigMap's demarche.toml as mounted ({cm_mount})")
    alerts_file = service.get("alerts_file", "alerts.toml")
    check(cm_mount is not None and alerts_file == f"{cm_mount}/alerts.toml",
          f"service.alerts_file ({alerts_file}) is the ConfigMap's alerts.toml as mounted")
    literal_env = {k: e.get("value", "x") for k, e in env.items() if k.startswith("DEMARCHE__")}
    service_accepts("demarche accepts the Deployment's configuration (ConfigMap demarche.toml + env)",
                    literal_env, K8S_TOML)

    # Service and PDB select the pods.
    svc = find(objects, "Service")
    if check(svc is not None, "a Service is defined"):
        check(all(labels.get(k) == v for k, v in svc["spec"]["selector"].items()), "Service selects the Deployment's pods")
        check(any(p.get("targetPort") in ("http-metrics", http_port) and p.get("port") == http_port
                  for p in svc["spec"]["ports"]), f"Service exposes the metrics port {http_port}")
    pdb = find(objects, "PodDisruptionBudget")
    if check(pdb is not None, "a PodDisruptionBudget is defined"):
        check(all(labels.get(k) == v for k, v in pdb["spec"]["selector"]["matchLabels"].items()),
              "PodDisruptionBudget selects the Deployment's pods")

    # keda ceiling = partitions, and the trigger watches what the service consumes.
    so = find(objects, "ScaledObject")
    if check(so is not None, "a keda ScaledObject is defined"):
        s = so["spec"]
        check(s["scaleTargetRef"].get("kind", "Deployment") == "Deployment"
              and s["scaleTargetRef"]["name"] == dep["metadata"]["name"], "ScaledObject scales the Deployment")
        check(s.get("maxReplicaCount") == partitions,
              f"ScaledObject maxReplicaCount ({s.get('maxReplicaCount')}) equals kafka.partitions ({partitions})")
        check(1 <= s.get("minReplicaCount", 0) <= s.get("maxReplicaCount", 100), "ScaledObject minReplicaCount is within 1..max")
        for t in s["triggers"]:
            if t["type"] != "kafka":
                continue
            m = t["metadata"]
            check(m.get("consumerGroup") == kafka.get("group_id", "demarche"),
                  f"keda trigger watches the service's group ({m.get('consumerGroup')})")
            check(m.get("topic") in kafka.get("input_topics", ["articles"]),
                  f"keda trigger watches an input topic ({m.get('topic')})")
            check(m.get("bootstrapServers") == kafka.get("brokers"), "keda trigger and the service use the same brokers")
            check(m.get("allowIdleConsumers", "false") == "false", "keda never scales past the partitions (allowIdleConsumers false)")

    # Replay Job.
    job = find(objects, "Job")
    if check(job is not None, "a replay Job is defined"):
        jc = job["spec"]["template"]["spec"]["containers"][0]
        check(jc.get("args", [None])[0] == "replay", "replay Job runs `demarche replay`")
        cli = (ROOT / "src" / "cli.rs").read_text(encoding="utf-8")
        has_replay = re.search(r"^\s*Replay\b", cli, re.M) is not None
        if has_replay:
            ok("src/cli.rs has a Replay command")
        else:
            check(job["spec"].get("suspend") is True,
                  "replay Job is suspended: `demarche replay` is not in src/cli.rs yet (next issue)")
        replay_flags_known(jc.get("args", []))
        jargs = jc.get("args", [])
        if "--checkpoint" in jargs and jargs.index("--checkpoint") + 1 < len(jargs):
            ckpt = jargs[jargs.index("--checkpoint") + 1]
            mounts = [m for m in jc.get("volumeMounts", []) if not m.get("readOnly")]
            check(any(ckpt.startswith(m["mountPath"].rstrip("/") + "/") for m in mounts),
                  f"replay checkpoint ({ckpt}) is on a writable volume (the root filesystem is read-only)")
        else:
            check(False, "replay Job names its --checkpoint on a writable volume")
        jgrace = job["spec"]["template"]["spec"].get("terminationGracePeriodSeconds", 30)
        check(jgrace >= drain_ms / 1000 + MARGIN_SECONDS, f"replay Job grace period ({jgrace}) >= drain + {MARGIN_SECONDS} s")
        jenv = {e["name"]: e.get("value", "x") for e in jc.get("env", []) if e["name"].startswith("DEMARCHE__")}
        service_accepts("demarche accepts the replay Job's configuration", jenv, K8S_TOML)

    # Compose.
    compose = docs.get(COMPOSE, [None])[0]
    if not check(isinstance(compose, dict) and "services" in compose, f"{rel(COMPOSE)} has services"):
        return
    svcs = compose["services"]
    for name in ("kafka", "topics", "demarche"):
        check(name in svcs, f"compose defines `{name}`")
    check("monitoring" in svcs.get("prometheus", {}).get("profiles", []), "compose Prometheus runs under the `monitoring` profile")
    for name, s in svcs.items():
        for dep_name in (s.get("depends_on") or {}):
            check(dep_name in svcs, f"compose {name} depends on an existing service ({dep_name})")
        b = s.get("build")
        if b:
            ctx = (COMPOSE.parent / b.get("context", ".")).resolve()
            check(ctx == ROOT and (ctx / b.get("dockerfile", "Dockerfile")).resolve() == DOCKERFILE,
                  f"compose {name} builds deploy/Dockerfile with the repository root as context")
        for v in s.get("volumes", []) or []:
            src = v.split(":", 1)[0] if isinstance(v, str) else v.get("source", "")
            if src.startswith(".") or src.startswith("/"):
                check((COMPOSE.parent / src).exists(), f"compose {name} mounts an existing path ({src})")
    dm = svcs.get("demarche", {})
    check(dm.get("command") == ["run"], "compose demarche runs `demarche run`")
    check(svcs.get("topics", {}).get("command") == ["topics", "create"], "compose topics job runs `demarche topics create`")
    check(svcs.get("topics", {}).get("depends_on", {}).get("kafka", {}).get("condition") == "service_healthy",
          "compose topics job waits for a healthy broker")
    check(dm.get("depends_on", {}).get("topics", {}).get("condition") == "service_completed_successfully",
          "compose demarche starts after the topics job succeeded")
    compose_drain = int(dm.get("environment", {}).get("DEMARCHE__SERVICE__DRAIN_TIMEOUT_MS", 20_000))
    check(duration_seconds(dm.get("stop_grace_period", "10s")) >= compose_drain / 1000 + MARGIN_SECONDS,
          f"compose demarche stop_grace_period ({dm.get('stop_grace_period', '10s')}) >= drain ({compose_drain} ms) + {MARGIN_SECONDS} s")
    for name in ("topics", "demarche"):
        env = dict(image.get("env", {}))
        env.update({k: v for k, v in (svcs.get(name, {}).get("environment") or {}).items()})
        service_accepts(f"demarche accepts compose `{name}`'s configuration (image ENV + environment)",
                        {k: v for k, v in env.items() if k.startswith("DEMARCHE__")}, None)
        check(env.get("DEMARCHE__KAFKA__BROKERS", "").split(":")[0] in svcs,
              f"compose {name} connects to the compose broker ({env.get('DEMARCHE__KAFKA__BROKERS')})")
    prom = docs.get(DEPLOY / "prometheus.yml", [None])[0]
    if check(isinstance(prom, dict), "deploy/prometheus.yml is a Prometheus configuration"):
        text = json.dumps(prom)
        check("demarche" in text and f"{http_port}" in text, f"Prometheus scrapes demarche on port {http_port}")


def main() -> int:
    if "--write-configmap" in sys.argv[1:]:
        write_configmap()
    print(f"validate-deploy: kubernetes-validate {kubernetes_validate.__version__}, Kubernetes {', '.join(K8S_VERSIONS)}")
    print("== YAML")
    docs = load_all_yaml()
    print("== Kubernetes schemas")
    objects = validate_k8s(docs)
    print("== Docker build context")
    image = check_build_context()
    print("== Consistency")
    check_agreement(objects, docs, image)
    print()
    if failures:
        print(f"validate-deploy: {len(failures)} of {passed + len(failures)} checks FAILED:")
        for f in failures:
            print(f"  - {f}")
        return 1
    print(f"validate-deploy: all {passed} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
