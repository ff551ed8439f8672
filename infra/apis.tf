locals {
  required_apis = [
    "cloudfunctions.googleapis.com",
    "run.googleapis.com",
    "cloudbuild.googleapis.com",
    "artifactregistry.googleapis.com",
    "eventarc.googleapis.com",
    "pubsub.googleapis.com",
    "firestore.googleapis.com",
    "secretmanager.googleapis.com",
    # The recordings queue, and the sweeper's hourly tick.
    "cloudtasks.googleapis.com",
    "cloudscheduler.googleapis.com",
    "storage.googleapis.com",
    "firebaserules.googleapis.com",
    "logging.googleapis.com",
    # Firebase Auth / Identity Platform, which signs the ID tokens people send to the api.
    "identitytoolkit.googleapis.com",
    # Service accounts and project IAM bindings are managed through these two. With the provider's
    # user_project_override they are also called on this project's quota, so README.md enables them
    # (with serviceusage) once before the first plan; listing them here keeps them from being
    # forgotten.
    "iam.googleapis.com",
    "cloudresourcemanager.googleapis.com",
  ]
}

resource "google_project_service" "required" {
  for_each = toset(local.required_apis)

  project = var.project_id
  service = each.value

  # Other things in the project may use these APIs too: destroying this stack must not turn them off.
  disable_on_destroy = false
}
