// Types of scripts/build.mjs for the TypeScript that imports it (test/build.test.ts).
export declare const ROOT: string;
export declare const DIST: string;
export declare const META: string;
export declare function buildStamp(): number;
export declare function isStale(root?: string): boolean;
export declare function buildAll(): Promise<{ inputs: number; ms: number }>;
