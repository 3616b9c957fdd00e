"""The peers of bench/peers.ts, run in their own virtual environment (bench only).

  python peers.py drift evidently|nannyml REF.csv CUR.csv NUMERIC,.. CATEGORICAL,.. [--html OUT] [--chunk-size N]
  python peers.py classify TRAIN.csv TEST.csv
  python peers.py cbpe REF.csv ANA.csv     (columns night, confidence, correct: one model's served answers)

Prints one JSON object: wall times (reading the CSVs apart from computing), peak memory
(this process's max RSS), and per column the method, statistic, threshold and verdict.
"""
import json
import resource
import sys
import time


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read(ref_path, cur_path, categorical, kind="string"):
    import pandas as pd
    t = time.perf_counter()
    dtypes = {c: kind for c in categorical}
    ref = pd.read_csv(ref_path, dtype=dtypes)
    cur = pd.read_csv(cur_path, dtype=dtypes)
    return ref, cur, time.perf_counter() - t


def evidently_drift(ref, cur, numeric, categorical, html):
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset
    t = time.perf_counter()
    dd = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    snapshot = Report([DataDriftPreset()]).run(Dataset.from_pandas(cur, data_definition=dd), Dataset.from_pandas(ref, data_definition=dd))
    out = {}
    for m in snapshot.dict()["metrics"]:
        cfg = m.get("config", {})
        if cfg.get("type") != "evidently:metric_v2:ValueDrift":
            continue
        method, threshold, value = cfg["method"], cfg["threshold"], m["value"]
        # p-value tests drift below their threshold, distances at or above it.
        drifted = value < threshold if "p_value" in method.lower() or "test" in method.lower() else value >= threshold
        out[cfg["column"]] = {"method": method, "value": value, "threshold": threshold, "drifted": bool(drifted)}
    seconds = time.perf_counter() - t
    html_seconds = None
    if html:
        h = time.perf_counter()
        snapshot.save_html(html)
        html_seconds = time.perf_counter() - h
    return out, seconds, html_seconds


def nannyml_drift(ref, cur, numeric, categorical, chunk_size):
    import nannyml as nml
    t = time.perf_counter()
    calc = nml.UnivariateDriftCalculator(
        column_names=numeric + categorical, treat_as_categorical=categorical,
        continuous_methods=["kolmogorov_smirnov", "jensen_shannon", "wasserstein"], categorical_methods=["chi2", "jensen_shannon"],
        chunk_size=chunk_size)
    calc.fit(ref)
    df = calc.calculate(cur).filter(period="analysis").to_df()
    out = {}
    for c in numeric + categorical:
        methods = ["kolmogorov_smirnov", "jensen_shannon", "wasserstein"] if c in numeric else ["chi2", "jensen_shannon"]
        row = {m: {"value": float(df[(c, m, "value")].iloc[0]), "alert": bool(df[(c, m, "alert")].iloc[0])} for m in methods}
        # The column's verdict: NannyML's alert of its first method (KS, chi-square).
        out[c] = {"methods": row, "drifted": row[methods[0]]["alert"], "method": methods[0], "value": row[methods[0]]["value"]}
    return out, time.perf_counter() - t


def classify(train_path, test_path):
    import pandas as pd
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC
    train, test = pd.read_csv(train_path), pd.read_csv(test_path)
    results = {}
    for name, make in [("LogisticRegression", lambda: LogisticRegression(C=20, max_iter=2000)), ("LinearSVC", lambda: LinearSVC(C=1.0))]:
        t = time.perf_counter()
        words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
        x = hstack([words.fit_transform(train.text), chars.fit_transform(train.text)]).tocsr()
        model = make().fit(x, train.category)
        train_seconds = time.perf_counter() - t
        p = time.perf_counter()
        reps = 10
        for _ in range(reps):
            predicted = model.predict(hstack([words.transform(test.text), chars.transform(test.text)]).tocsr())
        predict_seconds = (time.perf_counter() - p) / reps
        results[name] = {"accuracy": float((predicted == test.category.to_numpy()).mean()), "train_seconds": train_seconds,
                         "samples_per_second": len(train) / train_seconds, "requests_per_second": len(test) / predict_seconds}
    return results


def cbpe(ref_path, ana_path):
    """NannyML's CBPE on one model's served answers, as a binary problem: is the answer right.

    Each row's y_pred is 1 ("this answer is right") and y_pred_proba the served (calibrated) top
    probability, so CBPE's accuracy is its estimate of the share of right answers, per night
    (a chunk per night, by a timestamp made from the night number). Fitted on the reference
    nights with their realised labels.
    """
    import nannyml as nml
    import pandas as pd
    t = time.perf_counter()
    ref, ana = pd.read_csv(ref_path), pd.read_csv(ana_path)
    for df in (ref, ana):
        df["ts"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(df["night"], unit="D")
        df["pred"] = 1
    est = nml.CBPE(y_pred_proba="confidence", y_pred="pred", y_true="correct", problem_type="classification_binary",
                   metrics=["accuracy"], timestamp_column_name="ts", chunk_period="D")
    est.fit(ref)
    df = est.estimate(ana.drop(columns=["correct"])).filter(period="analysis").to_df()
    nights = [(pd.Timestamp(k) - pd.Timestamp("2026-01-01")).days for k in df[("chunk", "key")]]
    return {int(n): float(v) for n, v in zip(nights, df[("accuracy", "value")])}, time.perf_counter() - t


def main(argv):
    if argv[1] == "cbpe":
        estimates, seconds = cbpe(argv[2], argv[3])
        print(json.dumps({"cbpe": estimates, "seconds": seconds, "peak_mb": peak_mb()}))
        return
    if argv[1] == "classify":
        print(json.dumps({"classify": classify(argv[2], argv[3]), "peak_mb": peak_mb()}))
        return
    tool, ref_path, cur_path = argv[2], argv[3], argv[4]
    numeric, categorical = argv[5].split(","), argv[6].split(",")
    html = argv[argv.index("--html") + 1] if "--html" in argv else None
    chunk = int(argv[argv.index("--chunk-size") + 1]) if "--chunk-size" in argv else None
    # NannyML's chi-square wants categories as pandas categoricals; Evidently takes strings.
    ref, cur, load_seconds = read(ref_path, cur_path, categorical, "string" if tool == "evidently" else "category")
    if tool == "evidently":
        columns, seconds, html_seconds = evidently_drift(ref, cur, numeric, categorical, html)
        extra = {"html_seconds": html_seconds}
    else:
        columns, seconds = nannyml_drift(ref, cur, numeric, categorical, chunk)
        extra = {}
    print(json.dumps({"tool": tool, "load_seconds": load_seconds, "seconds": seconds, "peak_mb": peak_mb(), "columns": columns, **extra}))


if __name__ == "__main__":
    import os
    import warnings
    os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")  # no usage reports sent (there is no network here anyway)
    warnings.filterwarnings("ignore")
    main(sys.argv)
