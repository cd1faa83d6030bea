// Results derived from a plan alone, remembered for frozen plans: the statement cache freezes the
// plans it shares between executions, so what each execution would work out again from the same
// tree (which columns are read, whether it can run in parallel, …) is computed once per plan.
// Plans that are not frozen may still be changed: computed every time.

/** `compute`, remembered per frozen argument. */
export function memoizedForFrozen<K extends object, V>(compute: (key: K) => V): (key: K) => V {
  const memo = new WeakMap<K, V>();
  return (key) => {
    if (!Object.isFrozen(key)) return compute(key);
    // One lookup for nearly every call (has() only for a remembered undefined).
    const known = memo.get(key);
    if (known !== undefined || memo.has(key)) return known as V;
    const value = compute(key);
    memo.set(key, value);
    return value;
  };
}
