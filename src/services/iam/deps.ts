import type { IamDirectory } from '../../iam/directory.js';

/** What the IAM operations are built from (composed in app.ts). */
export interface IamDeps {
  directory: IamDirectory;
}
