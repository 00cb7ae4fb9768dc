"""The 双随机 draw as a pure function: the same seed and inputs give the same targets and officers,
so anyone can re-run a published draw (000 公示制度第七条; 002 二（一）3).

Rank of a candidate = SHA-256 of "seed|key" (hex). Targets: the `count` lowest-ranked parties.
Officers, target by target in that order: those not excluded for the target, ordered by (number
of tasks already given in this draw, SHA-256 of "seed|target|officer"), the first `per_target`.

    inputs = {"targets": [party keys], "officers": [officer keys], "count": n, "per_target": k,
              "excluded": {party key: [officer keys]}}
    draw(seed, inputs) -> {"tasks": [{"target": key, "officers": [keys]}, ...]}

The seed is committed before the inputs are fixed: its SHA-256 (`commitment(seed)`) is published
first, then the inputs with `digest(inputs)`, then the seed itself. Anyone checks a published draw
with the standard library alone:

    python inspections/draw.py draw.json   # {"seed", "seed_sha256", "inputs", "inputs_sha256", "result"}
"""

import hashlib
import json
import sys


def rank(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


class DrawError(ValueError):
    pass


def draw(seed: str, inputs: dict) -> dict:
    targets = sorted(set(inputs["targets"]), key=lambda t: rank(seed, t))[: int(inputs["count"])]
    per_target = int(inputs["per_target"])
    excluded = {k: set(v) for k, v in (inputs.get("excluded") or {}).items()}
    load = dict.fromkeys(inputs["officers"], 0)
    tasks = []
    for target in targets:
        eligible = [o for o in inputs["officers"] if o not in excluded.get(target, set())]
        if len(eligible) < per_target:
            raise DrawError(f"对象 {target} 可抽取的执法人员不足 {per_target} 人（回避后仅 {len(eligible)} 人）。")
        chosen = sorted(eligible, key=lambda o: (load[o], rank(seed, target, o)))[:per_target]
        for officer in chosen:
            load[officer] += 1
        tasks.append({"target": target, "officers": sorted(chosen)})
    return {"tasks": tasks}


def commitment(seed: str) -> str:
    """What is published before the inputs are fixed: the SHA-256 of the seed (hex)."""
    return hashlib.sha256(seed.encode()).hexdigest()


def digest(inputs: dict) -> str:
    """SHA-256 of the inputs in one canonical JSON form (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(inputs, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def verify(published: dict) -> list[str]:
    """Every way a published draw fails to check out (empty when it is sound)."""
    problems = []
    if commitment(published["seed"]) != published["seed_sha256"]:
        problems.append("随机种子与事先公布的承诺值不符")
    if published.get("inputs_sha256") and digest(published["inputs"]) != published["inputs_sha256"]:
        problems.append("抽取输入与固定时公布的SHA-256不符")
    if draw(published["seed"], published["inputs"]) != published["result"]:
        problems.append("按公布的种子和输入重新计算，结果不一致")
    return problems


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("用法：python inspections/draw.py 抽取公示.json")
    with open(sys.argv[1], encoding="utf-8") as file:
        problems = verify(json.load(file))
    print("\n".join(problems) if problems else "核验一致：种子与承诺值相符，按种子和输入重新计算的结果与公示结果相同。")
    sys.exit(1 if problems else 0)
