"""One Optuna worker process of the side-by-side benchmark (bench/tune-storage/run.ts).

    /usr/bin/python3 optuna_worker.py URL STUDY TRIALS HEARTBEAT

Joins the study STUDY (created beforehand by the benchmark) in Optuna's RDB
storage at URL (postgresql+psycopg2://...), runs TRIALS trials of a trivial
objective (one float parameter, one intermediate report, the value returned)
with the RandomSampler, and prints one JSON line: the numbers of the trials
this process ran and the milliseconds spent in study.optimize. HEARTBEAT > 0 turns Optuna's heartbeats on
(heartbeat_interval=HEARTBEAT; grace_period left at its default, which the
Optuna 3.1 docs give as 2 * heartbeat_interval). An exception escaping
study.optimize is a worker crash: it is printed and the process exits 1.
"""
import json
import sys
import time
import traceback

import optuna

url, name, trials, heartbeat = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
optuna.logging.set_verbosity(optuna.logging.WARNING)
kw = {"heartbeat_interval": heartbeat} if heartbeat > 0 else {}
storage = optuna.storages.RDBStorage(url=url, **kw)
study = optuna.load_study(
    study_name=name, storage=storage, sampler=optuna.samplers.RandomSampler()
)
ran = []


def objective(trial):
    x = trial.suggest_float("x", 0.0, 1.0)
    trial.report(x, 1)
    ran.append(trial.number)
    return x


t0 = time.perf_counter()
try:
    study.optimize(objective, n_trials=trials)
except Exception as e:  # a crash: the benchmark counts it
    ms = (time.perf_counter() - t0) * 1000
    print(json.dumps({"ran": ran, "studyMs": ms, "crash": f"{type(e).__name__}: {e}"}))
    traceback.print_exc()
    sys.exit(1)
print(json.dumps({"ran": ran, "studyMs": (time.perf_counter() - t0) * 1000}))
