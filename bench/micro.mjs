// The loop of the in-process microbenchmarks: warm up, then time `n` calls and print the
// mean per call. Not for HTTP (see bench/http/) and not for anything under a microsecond
// that the JIT could remove: each benchmark's function must return or store its result.
export function bench(name, fn, n = 300_000, warmup = Math.ceil(n / 10)) {
  for (let i = 0; i < warmup; i++) fn();
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  const ns = Number(process.hrtime.bigint() - started) / n;
  console.log(`${name}: ${ns.toFixed(0)} ns`);
}
