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

# The private key of the Salesforce connected app, in PEM, which recordingWorker signs its JWT bearer
# logins with (SALESFORCE_PRIVATE_KEY). The certificate that goes with it is uploaded to the connected
# app; the key itself only ever sits here.
resource "google_secret_manager_secret" "salesforce_private_key" {
  secret_id = "salesforce-private-key"

  replication {
    auto {}
  }

  depends_on = [google_project_service.required["secretmanager.googleapis.com"]]
}

# The key the CRM presents to the api to download a recording that is still waiting (REC-4,
# CRM_DOWNLOAD_KEY), and the previous one, accepted alongside it while the CRM moves to a new key:
# the same pair and the same rotation as the platform's signing secrets.
resource "google_secret_manager_secret" "crm_download_key" {
  secret_id = "crm-download-key"

  replication {
    auto {}
  }

  depends_on = [google_project_service.required["secretmanager.googleapis.com"]]
}

resource "google_secret_manager_secret" "crm_download_key_previous" {
  secret_id = "crm-download-key-previous"

  replication {
    auto {}
  }

  depends_on = [google_project_service.required["secretmanager.googleapis.com"]]
}

# The key the api signs tones' preview URLs with (NOTIFICATION_TONE_PREVIEW_KEY, NOT-4). A URL lives
# 15 minutes: a new version invalidates the previews handed out before it, and nothing else, so there
# is no previous key.
resource "google_secret_manager_secret" "notification_tone_preview_key" {
  secret_id = "notification-tone-preview-key"

  replication {
    auto {}
  }

  depends_on = [google_project_service.required["secretmanager.googleapis.com"]]
}
