# Only the secrets are declared here, never their values: a google_secret_manager_secret_version
# would put the value in the Terraform state in plain text. Versions are added out of band with
# `gcloud secrets versions add` (README.md, "Secrets"), and both secrets need one before the
# functions can start, because Cloud Run resolves "latest" when it deploys a revision.

resource "google_secret_manager_secret" "platform_signing_secret" {
  secret_id = "platform-signing-secret"

  replication {
    auto {}
  }

  depends_on = [google_project_service.required["secretmanager.googleapis.com"]]
}

# Accepted alongside the current secret while the platform moves to a new one. Outside a rotation it
# holds the same value as the current secret, so that it always has a version to resolve.
resource "google_secret_manager_secret" "platform_signing_secret_previous" {
  secret_id = "platform-signing-secret-previous"

  replication {
    auto {}
  }

  depends_on = [google_project_service.required["secretmanager.googleapis.com"]]
}
