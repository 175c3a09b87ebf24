#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/ (run from the repository root).

Every numbered case of issue 11 that is an input (cases 1-7) is a seed of each
target it reaches, named caseN_*; the other seeds are valid inputs that get the
fuzzers past parsing. Cases 8-10 (full disk, connection flood, file modes) are
about the process, not about input bytes, and have no seeds here.
"""
import json
import os
import shutil
import struct

ROOT = "tests/fuzz/corpus"


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data)


def nest(depth, open_, close, inner="1"):
    return open_ * depth + inner + close * depth


def sweep(parameters, method="random", **extra):
    spec = {"name": "seed", "metric": {"name": "loss", "goal": "minimize"}, "method": method,
            "parameters": parameters, "program": {"external": True}}
    spec.update(extra)
    return spec


def dumps(value):
    return json.dumps(value, separators=(",", ":"))


CASE1_BODIES = {
    "case1_name_ff": b'{"name":"a\xff"}',
    "case1_client_id_c328": b'{"client_id":"q\xc3\x28","count":1}',
    "case1_error_fffe": b'{"client_id":"q","error":"boom \xff\xfe"}',
    "case1_lone_surrogate": b'{"client_id":"q","error":"\\udc00"}',
    "case1_overlong_key": b'{"na\xc0\xafme":1}',
}
CASE2_BODIES = {
    "case2_count_1e400": '{"client_id":"q","count":1e400}',
    "case2_count_minus_1e400": '{"client_id":"q","count":-1e400}',
    "case2_count_1e999": '{"client_id":"q","count":1e999}',
    "case2_report_value": '{"client_id":"q","step":1,"values":{"loss":1e400}}',
}
CASE3_BODIES = {
    "case3_10000_objects": nest(10000, '{"a":', "}"),
    "case3_20000_brackets": "[" * 20000,
    "case3_method_options_15000": dumps(sweep({"x": {"min": 0.0, "max": 1.0}}))[:-1]
    + ',"method_options":' + nest(15000, '{"k":', "}") + "}",
}
EXTREMES = {
    "case4_int_max_2_63": sweep({"x": {"min": 0, "max": 9223372036854775807}}),
    "case4_int_min_2_63": sweep({"x": {"min": -9223372036854775808, "max": 0}}),
    "case4_int_2_53_plus_1": sweep({"x": {"min": 0, "max": 9007199254740993}}),
    "case4_int_2_53_accepted": sweep({"x": {"min": -9007199254740992, "max": 9007199254740992},
                                      "k": {"distribution": "int_log_uniform", "min": 1,
                                            "max": 9007199254740992}}),
    "case5_uniform_1_797e308": sweep({"x": {"min": -1.797e308, "max": 1.797e308}}),
    "case5_uniform_max_accepted": sweep({"u": {"min": 0.0, "max": 1.7976931348623157e308},
                                         "l": {"distribution": "log_uniform", "min": 5e-324,
                                               "max": 1.7976931348623157e308},
                                         "c": {"values": [1e308, -1e308]}}, "sobol"),
    "case6_grid_30x1000": sweep({"p%d" % i: {"min": 0.0, "max": 1.0, "grid_points": 1000}
                                 for i in range(30)}, "grid"),
    "case6_grid_1e7": sweep({"p%d" % i: {"min": 0, "max": 9, "grid_points": 10} for i in range(7)},
                            "grid"),
    "case7_long_parameter_name": sweep({"n" * 4096: {"min": 0.0, "max": 1.0}}),
    "case7_long_metric_name": dict(sweep({"x": {"min": 0.0, "max": 1.0}}),
                                   metric={"name": "m" * 4096}),
    "case7_long_categorical": sweep({"x": {"values": ["a", "v" * 2000]}}),
    "case7_257_parameters": sweep({"p%d" % i: {"value": i} for i in range(257)}),
}
VALID_SWEEPS = {
    "valid_conditional": sweep({
        "opt": {"values": ["sgd", "adam", "rms"]},
        "momentum": {"values": [0.0, 0.9], "condition": {"parent": "opt", "values": ["sgd"]}},
        "nesterov": {"values": [True, False], "condition": {"parent": "momentum", "values": [0.9]}},
        "lr": {"distribution": "log_uniform", "min": 1e-4, "max": 0.1, "grid_points": 3},
        "width": {"distribution": "int_log_uniform", "min": 16, "max": 512},
        "layers": {"min": 1, "max": 4},
        "task": {"value": {"kind": "cls", "classes": [1, 2]}}}, "grid"),
    "valid_bayes": sweep({"x": {"min": -2.0, "max": 2.0}, "y": {"values": ["a", "b"]}}, "bayes",
                         method_options={"n_initial": 2}),
    "valid_tpe": sweep({"x": {"min": -2.0, "max": 2.0}, "y": {"values": ["a", "b"]}}, "tpe",
                       max_trials=8, method_options={"n_initial": 2}),
}


def json_reader_seeds():
    t = "json_reader_fuzzer"
    for name, body in {**CASE1_BODIES, **CASE2_BODIES, **CASE3_BODIES}.items():
        write(t, name, body)
    for name, spec in EXTREMES.items():
        write(t, name, dumps(spec))
    write(t, "valid_scalars", '[null,true,false,0,-0,1.5e-300,18446744073709551615,'
                              '-9223372036854775808,"caf\\u00e9 \\ud83d\\ude00","\\n"]')
    write(t, "valid_nested_64", nest(64, "[", "]"))
    write(t, "valid_typed", '{"s":"x","d":1.5,"i":-3,"u":7,"b":true,"n":null,"w":10.0}')


def sweep_file_seeds():
    t = "sweep_file_fuzzer"
    for name, spec in {**EXTREMES, **VALID_SWEEPS}.items():
        write(t, name, json.dumps(spec, indent=1))
    write(t, "case3_method_options_15000", CASE3_BODIES["case3_method_options_15000"])
    write(t, "case1_name_ff", dumps(sweep({"x": {"min": 0.0, "max": 1.0}})).replace(
        '"seed"', '"se\udcffed"'))
    for example in sorted(os.listdir("tools/examples")):
        if example.endswith(".json"):
            shutil.copy(os.path.join("tools/examples", example), os.path.join(ROOT, t, "example_" + example))


def be64(v):
    return struct.pack(">Q", v & 0xFFFFFFFFFFFFFFFF)


def store_record(table, key, value):
    value = value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")
    return bytes([table, len(key)]) + key + value


def store_codec_seeds():
    t = "store_codec_fuzzer"
    spec = dict(VALID_SWEEPS["valid_conditional"])
    spec.update({"max_trials": 50, "max_concurrent_trials": 0, "max_restarts": 3, "seed": 0,
                 "resources": {"ranks_per_trial": 1}, "method_options": {}})
    good_sweep = {"id": 3, "spec": spec, "state": "running",
                  "counters": {"created": 1, "pending": 0, "running": 1, "completed": 0,
                               "failed": 0, "pruned": 0, "cancelled": 0},
                  "created_us": 1, "updated_us": 2}
    write(t, "valid_sweep", store_record(0, be64(3), dumps(good_sweep)))
    bricked = dict(good_sweep, id=4, spec=dict(spec, parameters={
        "x": {"distribution": "int_uniform", "min": 0, "max": -9223372036854775808, "grid_points": 5}}))
    write(t, "case4_stored_wrapped_max", store_record(0, be64(4), dumps(bricked)))
    big = dict(good_sweep, id=5, spec=dict(spec, parameters={"x": {"distribution": "uniform",
                                                                  "min": -1.797e308, "max": 1.797e308,
                                                                  "grid_points": 5}}))
    write(t, "case5_stored_infinite_range", store_record(0, be64(5), dumps(big)))
    trial = {"id": 9, "sweep_id": 3, "number": 0, "params": {"x": 0.5, "opt": "sgd"},
             "state": "running", "attempt": 0, "lease_owner": "w", "lease_deadline_us": 5,
             "lease_seconds": 60, "last_step": 2, "checkpoint_step": -1, "created_us": 1,
             "updated_us": 2, "objective": 0.25, "final_values": {"loss": 0.25}, "error": "x"}
    write(t, "valid_trial", store_record(1, be64(3) + be64(9), dumps(trial)))
    write(t, "case2_trial_1e400", store_record(1, be64(3) + be64(9),
                                               dumps(trial).replace("0.25", "1e400", 1)))
    write(t, "case1_trial_ff", store_record(1, be64(3) + be64(9),
                                            dumps(trial).replace('"w"', '"w\udcff"')))
    write(t, "case3_trial_deep_params", store_record(1, be64(3) + be64(9), dumps(trial).replace(
        '{"x":0.5', '{"deep":' + nest(20000, "[", "]") + ',"x":0.5')))
    write(t, "valid_metric", store_record(2, be64(9) + be64(7 ^ (1 << 63)),
                                          dumps({"step": 7, "values": {"loss": 1.5}, "time_us": 3})))
    write(t, "valid_event", store_record(3, be64(12), dumps(
        {"seq": 12, "time_us": 1, "type": "trial_leased", "sweep_id": 3, "trial_id": 9, "detail": "w"})))
    write(t, "event_seq_0", store_record(3, be64(0), dumps({"seq": 0, "type": "x"})))
    write(t, "valid_manifest", store_record(4, b"m" + be64(9) + be64(2), dumps(
        {"trial_id": 9, "step": 2, "size_bytes": 10, "time_us": 1, "generation": 5, "chunks": 1})))
    write(t, "valid_pending", store_record(5, b"p" + be64(5), dumps(
        {"trial_id": 9, "step": 2, "generation": 5})))
    write(t, "garbage", bytes([0, 3]) + b"abc{not json")


def api_seeds():
    t = "api_fuzzer"
    sep = "\n---\n"
    create = "POST /api/v1/sweeps\n" + dumps(sweep({"x": {"min": -2.0, "max": 2.0},
                                                    "opt": {"values": ["sgd", "adam"]}}, max_trials=4))
    ask = 'POST /api/v1/ask\n{"client_id":"w","count":2,"lease_seconds":30}'
    flow = [create, ask,
            'POST /api/v1/trials/1/report\n{"client_id":"w","step":1,"values":{"loss":0.5}}',
            'POST /api/v1/trials/1/heartbeat\n{"client_id":"w"}',
            'POST /api/v1/trials/1/complete\n{"client_id":"w","values":{"loss":0.25}}',
            'POST /api/v1/trials/2/fail\n{"client_id":"w","error":"' + "\u20ac" * 200 + '"}',
            ask, 'POST /api/v1/trials/3/release\n{"client_id":"w"}',
            "PUT /api/v1/trials/4/checkpoints/3?client_id=w\ncheckpoint-bytes",
            "GET /api/v1/trials/4/checkpoints", "GET /api/v1/trials/4/checkpoints/latest",
            "GET /api/v1/trials/1/metrics?from_step=0&limit=10",
            "GET /api/v1/sweeps/1/trials?state=completed&limit=2", "GET /api/v1/sweeps/1/best",
            "GET /api/v1/sweeps", "GET /api/v1/workers", "GET /metrics", "GET /healthz",
            "WAIT 120", ask, "POST /api/v1/sweeps/1/cancel\n", ask]
    write(t, "valid_ask_tell_flow", sep.join(flow))
    # tpe, not bayes: without a suggestion executor a GP fit runs inline, and
    # under ASan one takes seconds of the fuzzing budget (bayes stays one
    # mutation away: "bayes" is in the other seeds).
    write(t, "valid_tpe_flow", sep.join(
        ["POST /api/v1/sweeps\n" + dumps(VALID_SWEEPS["valid_tpe"])]
        + ['POST /api/v1/ask\n{"client_id":"c%d"}' % i for i in range(4)]
        + ['POST /api/v1/trials/%d/complete\n{"client_id":"c%d","values":{"loss":%d}}' % (i + 1, i, i)
           for i in range(4)]
        + ['POST /api/v1/ask\n{"client_id":"c9","count":3}']))
    write(t, "valid_grid_conditional", sep.join(
        ["POST /api/v1/sweeps\n" + dumps(VALID_SWEEPS["valid_conditional"]),
         'POST /api/v1/ask\n{"client_id":"g","count":64}']))
    case1 = ["GET /api/v1/sweeps/%FF", "GET /nosuch%FF", "GET /api/v1/sweeps/1/trials?state=%FF",
             "GET /api/v1/sweeps/1/trials?limit=%FF", "GET /api/v1/trials/1/metrics?from_step=%FF",
             "GET /api/v1/sweeps/1/trials?%C0%AF=1", "PUT /api/v1/trials/1/checkpoints/1?client_id=%FF\nx"]
    write(t, "case1_url_ff", sep.join([create] + case1))
    write(t, "case1_bodies", sep.join(
        [create, ask] + ["POST /api/v1/sweeps\n" + dumps(sweep({"x": {"min": 0.0, "max": 1.0}})).replace(
            '"seed"', '"se\udcffed"')]
        + ["POST /api/v1/ask\n" + CASE1_BODIES["case1_client_id_c328"].decode("utf-8", "surrogateescape"),
           "POST /api/v1/trials/1/fail\n" + CASE1_BODIES["case1_error_fffe"].decode("utf-8", "surrogateescape"),
           "POST /api/v1/trials/1/fail\n" + CASE1_BODIES["case1_lone_surrogate"].decode(),
           "POST /api/v1/ask\n" + dumps({"client_id": "q", "kind": "k" * 39 + "\u20ac\u20ac"})]))
    write(t, "case2_numbers", sep.join(
        [create, ask] + ["POST /api/v1/ask\n" + b for k, b in CASE2_BODIES.items() if "count" in k]
        + ["POST /api/v1/trials/12345/report\n" + CASE2_BODIES["case2_report_value"],
           "POST /api/v1/trials/1/report\n" + CASE2_BODIES["case2_report_value"]]))
    write(t, "case3_nesting", sep.join(
        ["POST /api/v1/ask\n" + CASE3_BODIES["case3_10000_objects"],
         "POST /api/v1/sweeps\n" + CASE3_BODIES["case3_20000_brackets"],
         "POST /api/v1/sweeps\n" + CASE3_BODIES["case3_method_options_15000"]]))
    for name, spec in EXTREMES.items():
        write(t, name, sep.join(["POST /api/v1/sweeps\n" + dumps(spec),
                                 'POST /api/v1/ask\n{"client_id":"a","count":3}',
                                 'POST /api/v1/ask\n{"client_id":"b","count":3}',
                                 "GET /api/v1/sweeps/1/trials"]))
    write(t, "case7_request_parts", sep.join(
        [create, ask,
         "POST /api/v1/ask\n" + dumps({"client_id": "c" * 201}),
         "POST /api/v1/trials/1/report\n" + dumps({"client_id": "w", "step": 1,
                                                   "values": {"m" * 129: 1.0}}),
         "POST /api/v1/trials/1/fail\n" + dumps({"client_id": "w", "error": "e" * (65 * 1024)})]))


if __name__ == "__main__":
    shutil.rmtree(ROOT, ignore_errors=True)
    json_reader_seeds()
    sweep_file_seeds()
    store_codec_seeds()
    api_seeds()
    for target in sorted(os.listdir(ROOT)):
        print(target, len(os.listdir(os.path.join(ROOT, target))), "seeds")
