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
