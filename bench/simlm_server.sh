# Sourced by the benchmark scripts that run samples against `prism simlm serve`
# at 50 ms per call. Needs $prism (the binary) and $work (a scratch folder).

# Starts the server in the background: sets $server (its pid) and $url.
start_simlm_server() {
  "$prism" simlm serve --latency-ms 50 >"$work/server.txt" 2>&1 &
  server=$!
  for _ in $(seq 100); do grep -q "http://" "$work/server.txt" 2>/dev/null && break; sleep 0.1; done
  url=$(grep -o "http://[0-9.:]*/v1" "$work/server.txt" | head -1)
  [ -n "$url" ] || { echo "the SimLm server did not start" >&2; exit 1; }
}

# study_on_server SAMPLE OUT: the sample's study with absolute data paths and
# sim-small behind $url as task and proposer model, written to OUT.
study_on_server() {
  python3 - "$1" "$url" "$2" <<'PY'
import json, sys, os
sample, url, out = sys.argv[1:]
path = f"samples/{sample}/{sample}.prism.json"
s = json.load(open(path))
base = os.path.abspath(f"samples/{sample}")
for split in ("train", "val", "test"):
    if split in s["data"]:
        s["data"][split]["path"] = os.path.join(base, s["data"][split]["path"])
model = {"provider": "openai", "base_url": url, "model": "sim-small"}
s["models"] = {"task": model, "proposer": model}
json.dump(s, open(out, "w"), indent=2)
PY
}
