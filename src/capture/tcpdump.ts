// How a capture point is captured: tcpdump's argv (pure; kernel/capture.ts runs it).
// -w - : the pcap goes to stdout and the harness writes the file, which sidesteps tcpdump's
//        privilege drop and AppArmor's limits on where it may write;
// -U --immediate-mode : every packet is flushed at once, so stopping loses nothing;
// -s 0 : whole frames, so frame lengths can be compared hop to hop.
export function tcpdumpArgv(iface: string): string[] {
  return ['tcpdump', '-i', iface, '-n', '-U', '--immediate-mode', '-s', '0', '-w', '-'];
}

/** The artefact name of a capture point: pcaps/<namespace>_<interface>.pcap. */
export function pcapFileName(where: string, iface: string): string {
  return `${where}_${iface}.pcap`;
}
