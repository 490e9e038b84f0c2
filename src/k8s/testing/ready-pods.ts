// Which pods are Ready, as `kubectl get pods -o jsonpath=...` shows it: shared by the control
// plane's kernel test and its benchmark, which both watch a Deployment through the real kubectl.

/** kubectl's output argument: name, address, Ready condition and deletion time, a pod a line. */
export const READY_PODS_JSONPATH =
  'jsonpath={range .items[*]}{.metadata.name} {.status.podIP} {.status.conditions[?(@.type=="Ready")].status} {.metadata.deletionTimestamp}{"\\n"}{end}';

/** Ready pods that are not being deleted (a deletion time adds a fourth word), name -> address. */
export function readyPods(jsonpathOutput: string): Map<string, string> {
  return new Map(
    jsonpathOutput
      .split('\n')
      .map((l) => l.trim().split(' '))
      .filter((f) => f.length === 3 && f[2] === 'True')
      .map((f) => [f[0], f[1]]),
  );
}
