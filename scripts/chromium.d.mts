export declare function findChromium(env?: NodeJS.ProcessEnv): string | null;
export declare const INSTALL_HINT: string;
