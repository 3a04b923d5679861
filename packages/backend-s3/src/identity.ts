import type { ObjectStoreIdentity } from "@flowstate/object-storage-backend";

/** The S3 backend in references (`s3://…`), messages (`[flowstate] [s3] …`) and config (`[s3_state_backend]`). */
export const S3_STORE: ObjectStoreIdentity = {
  backend: "s3",
  scheme: "s3",
  packageName: "@flowstate/backend-s3",
  configSection: "s3_state_backend",
};
