/** Types of api/build.mjs for the site's TypeScript (config.ts). */
export declare const apiCache: string;
export declare const apiHtml: string;
export declare function inputsHash(): string;
export declare function buildApi(options?: { force?: boolean }): Promise<{
  generated: boolean;
  seconds: number;
}>;
