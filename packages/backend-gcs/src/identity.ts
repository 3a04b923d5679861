import type { ObjectStoreIdentity } from "@flowstate/object-storage-backend";

/** The GCS backend in references (`gs://…`), messages (`[flowstate] [gcs] …`) and config (`[gcs_state_backend]`). */
export const GCS_STORE: ObjectStoreIdentity = {
  backend: "gcs",
  scheme: "gs",
  packageName: "@flowstate/backend-gcs",
  configSection: "gcs_state_backend",
};
