export declare const ELECTRON_FUSES: Readonly<Record<string, boolean>>;
export declare function fuseConfig(): Record<string, unknown>;
