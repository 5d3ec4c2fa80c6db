// postject ships no types; this is the part of its API that scripts/build-binary.ts uses.
declare module 'postject' {
  export function inject(
    file: string,
    resource: string,
    data: Buffer,
    options?: { sentinelFuse?: string; machoSegmentName?: string; overwrite?: boolean },
  ): Promise<void>;
}
