/** Types of api/options.mjs for TypeScript callers (test/api-docs.test.ts). */
export declare const entries: [specifier: string, source: string][];
export declare const packages: string[];
export declare function typedocOptions(extra?: Record<string, unknown>): Record<string, unknown>;
export declare function validateApi(extra?: Record<string, unknown>): Promise<string[]>;
