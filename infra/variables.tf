variable "project_id" {
  description = "Google Cloud project that hosts Switchboard."
  type        = string
}

variable "region" {
  description = "Region of the functions, their Eventarc trigger and the source bucket."
  type        = string
  default     = "europe-west1"
}

variable "firestore_database_id" {
  description = "Firestore database the functions use (FIRESTORE_DATABASE_ID)."
  type        = string
  default     = "(default)"
}

variable "firestore_directory_database_id" {
  description = "Firestore database of people and roles (FIRESTORE_DIRECTORY_DATABASE_ID): only the api may write it."
  type        = string
  default     = "switchboard-directory"

  validation {
    # People and roles apart from sessions is what keeps the other functions from rewriting them.
    condition     = var.firestore_directory_database_id != var.firestore_database_id
    error_message = "firestore_directory_database_id must differ from firestore_database_id."
  }
}

variable "firestore_location" {
  description = "Firestore location. Fixed when the database is created: changing it means a new database."
  type        = string
  default     = "europe-west1"
}

variable "log_level" {
  description = "LOG_LEVEL of every function."
  type        = string
  default     = "INFO"

  validation {
    # Same list as functions/src/config.ts, so that a typo fails the plan rather than every cold start.
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], upper(var.log_level))
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "signature_max_skew_seconds" {
  description = "PLATFORM_SIGNATURE_MAX_SKEW_SECONDS: how far a signature's timestamp may be from now."
  type        = number
  default     = 300

  validation {
    # Same bounds as functions/src/config.ts, for the same reason as log_level.
    condition = (
      var.signature_max_skew_seconds == floor(var.signature_max_skew_seconds) &&
      var.signature_max_skew_seconds >= 10 &&
      var.signature_max_skew_seconds <= 3600
    )
    error_message = "signature_max_skew_seconds must be a whole number from 10 to 3600."
  }
}

variable "signature_accept_v1" {
  description = "PLATFORM_SIGNATURE_ACCEPT_V1: accept the platform's body-only v1 signatures while it migrates to v2."
  type        = bool
  default     = false
}

variable "source_archive_path" {
  description = "Zip of the repository root to deploy, e.g. from `git archive` (see README.md)."
  type        = string

  validation {
    condition     = endswith(var.source_archive_path, ".zip") && fileexists(var.source_archive_path)
    error_message = "source_archive_path must name an existing .zip file."
  }
}

variable "platform_commands_subscribers" {
  description = "IAM members (e.g. \"serviceAccount:consumer@platform-project.iam.gserviceaccount.com\") that may pull from the platform-commands-platform subscription."
  type        = list(string)
  default     = []

  validation {
    # allUsers / allAuthenticatedUsers would let anyone read (and acknowledge, so lose) commands.
    condition = alltrue([
      for member in var.platform_commands_subscribers :
      can(regex("^(serviceAccount|user|group|domain|principal|principalSet):", member))
    ])
    error_message = "platform_commands_subscribers must list IAM members such as serviceAccount:…, user:…, group:…; never allUsers or allAuthenticatedUsers."
  }
}

variable "salesforce_login_url" {
  description = "SALESFORCE_LOGIN_URL of recordingWorker: where it logs in to Salesforce (https://test.salesforce.com for a sandbox, or the org's My Domain URL)."
  type        = string
  default     = "https://login.salesforce.com"

  validation {
    condition     = can(regex("^https://[^/\\s]+/?$", var.salesforce_login_url))
    error_message = "salesforce_login_url must be an https:// origin, such as https://login.salesforce.com."
  }
}

variable "salesforce_client_id" {
  description = "SALESFORCE_CLIENT_ID of recordingWorker: the consumer key of the Salesforce connected app that uploads the recordings."
  type        = string

  validation {
    condition     = trimspace(var.salesforce_client_id) != ""
    error_message = "salesforce_client_id must not be empty."
  }
}

variable "salesforce_username" {
  description = "SALESFORCE_USERNAME of recordingWorker: the Salesforce user the uploads are made as (pre-authorized in the connected app)."
  type        = string

  validation {
    condition     = trimspace(var.salesforce_username) != ""
    error_message = "salesforce_username must not be empty."
  }
}

variable "salesforce_api_version" {
  description = "SALESFORCE_API_VERSION of recordingWorker: the Salesforce REST API version, such as 62.0."
  type        = string
  default     = "62.0"

  validation {
    # Same form as functions/src/config.ts, so that a typo fails the plan rather than every cold start.
    condition     = can(regex("^[0-9]{2,3}\\.0$", var.salesforce_api_version))
    error_message = "salesforce_api_version must look like 62.0."
  }
}

variable "recordings_writers" {
  description = "IAM members (e.g. \"serviceAccount:recorder@platform-project.iam.gserviceaccount.com\") that may write recordings to the recordings bucket (roles/storage.objectCreator: create only, never read, list or delete)."
  type        = list(string)
  default     = []

  validation {
    # Anyone could fill the bucket; the bucket's public access prevention would refuse such a grant at
    # apply time anyway, this refuses it at plan time.
    condition = alltrue([
      for member in var.recordings_writers :
      can(regex("^(serviceAccount|user|group|domain|principal|principalSet):", member))
    ])
    error_message = "recordings_writers must list IAM members such as serviceAccount:…, user:…, group:…; never allUsers or allAuthenticatedUsers."
  }
}

variable "voicemail_bucket" {
  description = "VOICEMAIL_BUCKET: the bucket the platform writes voicemails' audio to. Voicemails for the CRM are delivered from it and deleted from it once delivered; a report naming any other bucket is refused. Never the recordings bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$", var.voicemail_bucket))
    error_message = "voicemail_bucket must be a Cloud Storage bucket name."
  }
}

variable "media_upload_origins" {
  description = "The web origins (https://www.example.com) whose pages upload web chat attachments to the media bucket; none by default."
  type        = list(string)
  default     = []
}
