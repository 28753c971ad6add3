// Types for eslint.boundaries.js, which test/unit/lint-boundaries.test.ts imports.
import type { Linter } from 'eslint';

export interface FolderKind {
  area: string;
  layer: string;
}
export function classify(folder: string): FolderKind | undefined;
export function mayImport(from: FolderKind, to: FolderKind): boolean;
export function boundaryConfigs(root: string): Linter.Config[];
