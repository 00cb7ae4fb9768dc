"""The 双随机 draw as a pure function: the same seed and inputs give the same targets and officers,
so anyone can re-run a published draw (000 公示制度第七条; 002 二（一）3).

Rank of a candidate = SHA-256 of "seed|key" (hex). Targets: the `count` lowest-ranked parties.
Officers, target by target in that order: those not excluded for the target, ordered by (number
of tasks already given in this draw, SHA-256 of "seed|target|officer"), the first `per_target`.

    inputs = {"targets": [party keys], "officers": [officer keys], "count": n, "per_target": k,
              "excluded": {party key: [officer keys]}}
    draw(seed, inputs) -> {"tasks": [{"target": key, "officers": [keys]}, ...]}
"""

import hashlib


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
