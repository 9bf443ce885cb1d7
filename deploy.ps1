<#
.SYNOPSIS
  Pantheon launcher for Windows (PowerShell 5.1 and 7): the same steps as ./deploy.sh.
.DESCRIPTION
  .\deploy.ps1 [prod]             checks Docker Desktop and Compose, creates .env from .env.example with random
                                  secrets if missing (fills empty secrets, never overwrites a value), checks it
                                  in production mode, builds the images, starts the stack, waits until every
                                  service is healthy and prints the URLs.
  .\deploy.ps1 env                only creates or completes .env.
  .\deploy.ps1 status             state and health of each service.
  .\deploy.ps1 logs [service...]  follows the logs.
  .\deploy.ps1 down [-Volumes]    stops the stack; -Volumes also deletes its data (asks first).
  .\deploy.ps1 backup             pg_dump of the platform database into backups\.
  Development mode (deploy.sh dev) needs bash: use WSL.
#>
param(
  [Parameter(Position = 0)][ValidateSet('prod', 'env', 'status', 'logs', 'down', 'backup')][string]$Command = 'prod',
  [Parameter(Position = 1, ValueFromRemainingArguments = $true)][string[]]$Services = @(),
  [switch]$Volumes
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3
$Root = $PSScriptRoot
$EnvFile = Join-Path $Root '.env'
$ComposeFile = Join-Path $Root 'docker-compose.production.yml'
$HealthTimeoutS = 600
$SecretName = '(_PASSWORD|_SECRET|_TOKEN)$'
# Secrets issued by someone else (identity providers): never generated, empty means "not configured".
$ExternalSecret = '^(GOOGLE|MICROSOFT)_'

function Log([string]$Message) { Write-Host "[deploy] $Message" }
function Fail([string]$Message) { Write-Host "[deploy] $Message" -ForegroundColor Red; exit 1 }

# Runs a native command and stops on a non-zero exit code (PowerShell 5.1 does not by itself).
function Invoke-Native([string]$Exe, [string[]]$Arguments) {
  & $Exe @Arguments
  if ($LASTEXITCODE -ne 0) { Fail "$Exe $($Arguments -join ' ') failed (exit code $LASTEXITCODE)" }
}

$script:ComposeExe = $null
$script:ComposePrefix = @()
function Compose([string[]]$Arguments) {
  Invoke-Native $script:ComposeExe ($script:ComposePrefix + @('--env-file', $EnvFile, '-f', $ComposeFile) + $Arguments)
}
function Compose-Output([string[]]$Arguments) {
  $out = & $script:ComposeExe ($script:ComposePrefix + @('--env-file', $EnvFile, '-f', $ComposeFile) + $Arguments)
  if ($LASTEXITCODE -ne 0) { Fail "compose $($Arguments -join ' ') failed (exit code $LASTEXITCODE)" }
  return $out
}

function Test-Docker {
  if (-not (Get-Command docker -ErrorAction SilentlyContinue)) { Fail 'Docker is not installed: install Docker Desktop.' }
  & docker info *> $null
  if ($LASTEXITCODE -ne 0) { Fail 'Docker Desktop is not running: start it and wait until it says "running".' }
  & docker compose version *> $null
  if ($LASTEXITCODE -eq 0) { $script:ComposeExe = 'docker'; $script:ComposePrefix = @('compose'); return }
  if (Get-Command docker-compose -ErrorAction SilentlyContinue) { $script:ComposeExe = 'docker-compose'; return }
  Fail 'Docker Compose is not available (Docker Desktop ships it).'
}

function New-RandomBytes([int]$Count) {
  $bytes = New-Object byte[] $Count
  $rng = [System.Security.Cryptography.RandomNumberGenerator]::Create()
  $rng.GetBytes($bytes)
  $rng.Dispose()
  return $bytes
}
function New-HexSecret { return (-join ((New-RandomBytes 32) | ForEach-Object { $_.ToString('x2') })) }
function New-MasterKey { return [Convert]::ToBase64String((New-RandomBytes 32)) }

# UTF-8 without BOM: Compose and the apps read the file byte for byte (Set-Content -Encoding UTF8 adds a BOM on 5.1).
function Write-Utf8NoBom([string]$Path, [string[]]$Lines) {
  $text = ($Lines -join "`n") + "`n"
  [System.IO.File]::WriteAllText($Path, $text, (New-Object System.Text.UTF8Encoding($false)))
}

function Initialize-EnvFile {
  if (-not (Test-Path $EnvFile)) {
    Copy-Item (Join-Path $Root '.env.example') $EnvFile
    Log 'created .env from .env.example'
  }
  $filled = 0
  $lines = foreach ($line in [System.IO.File]::ReadAllLines($EnvFile)) {
    if ($line -match '^([A-Z][A-Z0-9_]*)=(.*)$') {
      $name = $Matches[1]; $value = $Matches[2]
      if ($value -eq '' -and $name -eq 'PANTHEON_MASTER_KEYS') { $line = "$name=1:$(New-MasterKey)"; $filled++ }
      elseif ($value -eq '' -and $name -match $SecretName -and $name -notmatch $ExternalSecret) { $line = "$name=$(New-HexSecret)"; $filled++ }
    }
    $line
  }
  Write-Utf8NoBom $EnvFile $lines
  # Only the current user may read it (icacls is the native tool; its result is checked like any other).
  Invoke-Native 'icacls' @($EnvFile, '/inheritance:r', '/grant:r', "$($env:USERNAME):F") | Out-Null
  if ($filled -gt 0) { Log "generated $filled secret(s) in .env (keep a copy somewhere safe: see docs\SECURITY.md)" }
  Write-RuntimeFiles
}

# One file per secret under .\secrets (Compose secrets), and .env.settings: .env without any secret.
function Write-RuntimeFiles {
  $dir = Join-Path $Root 'secrets'
  New-Item -ItemType Directory -Force $dir | Out-Null
  Invoke-Native 'icacls' @($dir, '/inheritance:r', '/grant:r', "$($env:USERNAME):(OI)(CI)F") | Out-Null
  $db = Get-EnvValue 'PANTHEON_DB_NAME'; if (-not $db) { $db = 'pantheon' }
  $pg = '10.0.1.4'; $redis = '10.0.1.6'
  $files = [ordered]@{
    postgres_password = Get-EnvValue 'POSTGRES_PASSWORD'
    db_owner_password = Get-EnvValue 'PANTHEON_DB_OWNER_PASSWORD'
    db_app_password = Get-EnvValue 'PANTHEON_DB_APP_PASSWORD'
    db_worker_password = Get-EnvValue 'PANTHEON_DB_WORKER_PASSWORD'
    keycloak_db_password = Get-EnvValue 'KEYCLOAK_DB_PASSWORD'
    master_keys = Get-EnvValue 'PANTHEON_MASTER_KEYS'
    database_url = "postgresql://pantheon_app:$(Get-EnvValue 'PANTHEON_DB_APP_PASSWORD')@${pg}:5432/$db"
    database_migration_url = "postgresql://pantheon_owner:$(Get-EnvValue 'PANTHEON_DB_OWNER_PASSWORD')@${pg}:5432/$db"
    database_worker_url = "postgresql://pantheon_worker:$(Get-EnvValue 'PANTHEON_DB_WORKER_PASSWORD')@${pg}:5432/$db"
    redis_url = "redis://:$(Get-EnvValue 'REDIS_PASSWORD')@${redis}:6379"
    redis_conf = "requirepass $(Get-EnvValue 'REDIS_PASSWORD')`nmaxmemory-policy noeviction`nappendonly yes`ndir /data`nprotected-mode no"
  }
  $utf8 = New-Object System.Text.UTF8Encoding($false)
  foreach ($name in $files.Keys) { [System.IO.File]::WriteAllText((Join-Path $dir $name), $files[$name], $utf8) }
  $settings = [System.IO.File]::ReadAllLines($EnvFile) | Where-Object { $_ -notmatch '^(PANTHEON_MASTER_KEYS|[A-Z0-9_]*(_PASSWORD|_SECRET|_TOKEN))=' }
  Write-Utf8NoBom (Join-Path $Root '.env.settings') $settings
}

function Get-EnvValue([string]$Name) {
  $line = Select-String -Path $EnvFile -Pattern "^$Name=(.*)$" | Select-Object -Last 1
  if ($line) { return $line.Matches[0].Groups[1].Value } else { return '' }
}

function Wait-Healthy {
  $deadline = (Get-Date).AddSeconds($HealthTimeoutS)
  while ($true) {
    $pending = @()
    $ids = @(Compose-Output @('ps', '-q') | Where-Object { $_ })
    if ($ids.Count -eq 0) { Fail 'no container is running; see .\deploy.ps1 logs' }
    foreach ($id in $ids) {
      $state = & docker inspect --format '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' $id
      if ($LASTEXITCODE -ne 0) { Fail "docker inspect $id failed" }
      if ($state -match ' running (healthy|none)$') { continue }
      if ($state -match ' (exited|dead) | unhealthy$') { Compose @('ps'); Fail "not healthy: $state (.\deploy.ps1 logs)" }
      $pending += $state
    }
    if ($pending.Count -eq 0) { return }
    if ((Get-Date) -gt $deadline) { Compose @('ps'); Fail "still starting after ${HealthTimeoutS}s: $($pending -join ', ')" }
    Start-Sleep -Seconds 3
  }
}

function Show-Status {
  Compose @('ps')
  foreach ($id in @(Compose-Output @('ps', '-q') | Where-Object { $_ })) {
    & docker inspect --format '  {{.Name}}: {{.State.Status}}{{if .State.Health}} ({{.State.Health.Status}}){{end}}' $id
  }
}

function Start-Production {
  Test-Docker
  if (-not (Test-Path $ComposeFile)) { Fail "missing $ComposeFile" }
  Initialize-EnvFile
  Log 'validating the compose file'
  Compose @('config', '-q')
  Log 'building images'
  Invoke-Native 'docker' @('build', '-q', '-f', 'deploy/bundle.Dockerfile', '-t', "pantheon/bundle:$(Get-EnvValue 'PANTHEON_VERSION')", $Root) | Out-Null
  Compose @('build')
  Log 'checking the environment (production rules)'
  Compose @('run', '--rm', '--no-deps', '-e', 'NODE_ENV=production', 'api', 'node', 'dist/libs/config/src/check-env.js')
  Log 'starting'
  Compose @('up', '-d')
  Log "waiting for every service to be healthy (up to ${HealthTimeoutS}s)"
  Wait-Healthy
  Show-Status
  Write-Host ''
  Write-Host '  Pantheon is up.'
  Write-Host "    API       $(Get-EnvValue 'PUBLIC_API_URL')   (health: /ready, OpenAPI: /api/docs)"
  Write-Host "    Keycloak  $(Get-EnvValue 'KEYCLOAK_URL')"
  Write-Host '  Logs: .\deploy.ps1 logs    State: .\deploy.ps1 status    Backup: .\deploy.ps1 backup'
}

function Stop-Production {
  Test-Docker
  if ($Volumes) {
    $answer = Read-Host 'This deletes the database, Redis and Keycloak data of this deployment. Type "yes" to go on'
    if ($answer -ne 'yes') { Fail 'nothing deleted' }
    Compose @('down', '--volumes')
  } else {
    Compose @('down')
  }
}

function Backup-Database {
  Test-Docker
  $db = Get-EnvValue 'PANTHEON_DB_NAME'; if (-not $db) { $db = 'pantheon' }
  $dir = Join-Path $Root 'backups'
  New-Item -ItemType Directory -Force $dir | Out-Null
  $out = Join-Path $dir ("$db-{0}.dump" -f (Get-Date).ToUniversalTime().ToString('yyyyMMddTHHmmssZ'))
  # pg_dump writes to a file inside the container, then docker cp copies it out byte for byte
  # (PowerShell 5.1 pipes would re-encode binary output).
  $id = @(Compose-Output @('ps', '-q', 'postgres'))[0]
  if (-not $id) { Fail 'the postgres service is not running' }
  Invoke-Native 'docker' @('exec', $id, 'pg_dump', '-U', 'postgres', '-Fc', '-f', '/tmp/pantheon-backup.dump', $db)
  Invoke-Native 'docker' @('cp', "${id}:/tmp/pantheon-backup.dump", $out)
  Invoke-Native 'docker' @('exec', $id, 'rm', '-f', '/tmp/pantheon-backup.dump')
  Log "wrote $out; restore with pg_restore -d $db (see docs\SECURITY.md)"
}

switch ($Command) {
  'prod' { Start-Production }
  'env' { Initialize-EnvFile }
  'status' { Test-Docker; Show-Status }
  'logs' { Test-Docker; Compose (@('logs', '-f', '--tail=200') + $Services) }
  'down' { Stop-Production }
  'backup' { Backup-Database }
}
