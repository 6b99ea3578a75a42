//! Passwords: the rules a new password must meet, and argon2id hashing kept off the async runtime.
//!
//! Hashing is deliberately slow, so it runs in `spawn_blocking` behind a semaphore sized to the
//! cores, with a bounded number of callers allowed to wait. When that queue is full the caller gets
//! [`Error::Busy`] at once (503 + Retry-After) instead of piling up memory and starving page
//! rendering. Each running hash borrows one of a few argon2 memory blocks kept between hashes
//! (see [`Blocks`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::rngs::OsRng;
use tokio::sync::Semaphore;
use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Result};

/// OWASP's argon2id option m=7168 KiB, t=5, p=1: as cheap to check as any OWASP setting with this
/// crate and 2.7x less memory per sign-in than m=19456, t=2. Stored in each PHC string, so raising
/// it later re-hashes on the next sign-in.
pub const ARGON2_M_KIB: u32 = 7168;
pub const ARGON2_T: u32 = 5;
pub const ARGON2_P: u32 = 1;

pub const MAX_PASSWORD_CHARS: usize = 128;
pub const MIN_PASSWORD_CHARS: usize = 15;

/// Memory for one hash of today's parameters.
fn new_block() -> Vec<Block> {
    vec![Block::default(); current_params().block_count()]
}

fn current_params() -> Params {
    Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None).expect("valid argon2 params")
}

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, current_params())
}

/// NFKC so that the same password typed on different keyboards or pasted from different sources
/// hashes the same. Never truncates.
pub fn normalize(password: &str) -> String {
    password.nfkc().collect()
}

/// Why a proposed password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakness {
    TooShort {
        min: usize,
        have: usize,
    },
    TooLong {
        max: usize,
    },
    /// zxcvbn scores it below 3 of 4; the hint says what made it guessable.
    Guessable(Hint),
}

/// What zxcvbn found guessable, in fewer kinds than its own warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    Common,
    Keyboard,
    Repeats,
    Sequences,
    Dates,
    SingleWord,
    Names,
    /// Nothing but the person's own words (name, address, organisation, the service's name),
    /// with digits and punctuation between.
    OwnWords,
    General,
}

/// The service's own name, which people reach for when asked for a password here.
const SERVICE_NAME: &str = "tessera";

impl Hint {
    fn of(warning: Option<zxcvbn::feedback::Warning>) -> Hint {
        use zxcvbn::feedback::Warning as W;
        match warning {
            Some(W::ThisIsATop10Password | W::ThisIsATop100Password | W::ThisIsACommonPassword) => Hint::Common,
            Some(W::ThisIsSimilarToACommonlyUsedPassword) => Hint::Common,
            Some(W::StraightRowsOfKeysAreEasyToGuess | W::ShortKeyboardPatternsAreEasyToGuess) => Hint::Keyboard,
            Some(W::RepeatsLikeAaaAreEasyToGuess | W::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess) => Hint::Repeats,
            Some(W::SequencesLikeAbcAreEasyToGuess) => Hint::Sequences,
            Some(W::RecentYearsAreEasyToGuess | W::DatesAreOftenEasyToGuess) => Hint::Dates,
            Some(W::AWordByItselfIsEasyToGuess) => Hint::SingleWord,
            Some(W::NamesAndSurnamesByThemselvesAreEasyToGuess | W::CommonNamesAndSurnamesAreEasyToGuess) => {
                Hint::Names
            }
            None => Hint::General,
        }
    }
}

impl std::fmt::Display for Weakness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Weakness::TooShort { min, have } => write!(f, "use at least {min} characters (it has {have})"),
            Weakness::TooLong { max } => write!(f, "use at most {max} characters"),
            Weakness::Guessable(Hint::OwnWords) => {
                write!(f, "made only of the person's own name, email address or organisation's name")
            }
            Weakness::Guessable(h) => write!(f, "too easy to guess ({h:?})"),
        }
    }
}

/// Whose password it is: the words a new password must not be built from. Every place a password
/// is set fills in all three, so the check is the same everywhere.
#[derive(Debug, Clone, Copy)]
pub struct PasswordOwner<'a> {
    pub org_name: &'a str,
    pub email: &'a str,
    pub display_name: &'a str,
}

impl PasswordOwner<'_> {
    /// The organisation's and the person's names, the address, its local part and the words of
    /// both parts (`ada.lovelace@acme-health.example` gives `ada`, `lovelace`, `acme`, `health`).
    pub fn words(&self) -> Vec<String> {
        let mut words: Vec<String> = Vec::new();
        for phrase in [self.org_name, self.email, self.display_name] {
            let phrase = normalize(phrase.trim()).to_lowercase();
            words.extend(
                phrase.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() >= 3).map(str::to_string),
            );
            if let Some((local, domain)) = phrase.split_once('@') {
                words.push(local.to_string());
                words.push(domain.to_string());
            }
            words.push(phrase);
        }
        words.retain(|w| !w.is_empty());
        words.sort();
        words.dedup();
        words
    }
}

impl PasswordOwner<'_> {
    /// The pieces of letters in the owner's names and address (at least two letters each), and
    /// the service's name: what a password must not be made of alone.
    fn pieces(&self) -> Vec<String> {
        let mut pieces: Vec<String> = [self.org_name, self.email, self.display_name, SERVICE_NAME]
            .iter()
            .flat_map(|phrase| letter_runs(&normalize(phrase).to_lowercase()))
            .filter(|p| p.chars().count() >= 2)
            .collect();
        pieces.sort();
        pieces.dedup();
        pieces
    }
}

/// The runs of letters in `text`: everything else (digits, punctuation, spaces) separates.
fn letter_runs(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphabetic()).filter(|r| !r.is_empty()).map(str::to_string).collect()
}

/// Whether `run` is nothing but `pieces` and their reverses, one after another.
fn made_of(run: &str, pieces: &[String]) -> bool {
    let chars: Vec<char> = run.chars().collect();
    let words: Vec<Vec<char>> =
        pieces.iter().flat_map(|p| [p.chars().collect::<Vec<char>>(), p.chars().rev().collect()]).collect();
    // covered[i]: the first i characters are made of pieces.
    let mut covered = vec![false; chars.len() + 1];
    covered[0] = true;
    for i in 0..chars.len() {
        if !covered[i] {
            continue;
        }
        for w in &words {
            if chars[i..].starts_with(w) {
                covered[i + w.len()] = true;
            }
        }
    }
    covered[chars.len()]
}

/// Whether a password is made only of its owner's words, whatever the case and whatever digits,
/// years, punctuation or spaces stand between them: `Max Member!2026` for Max Member,
/// `acmedental2026!` for Acme Dental, `xyz-xyz` or `xyzzyx` for xyz@example.org.
pub fn only_own_words(normalized: &str, owner: &PasswordOwner) -> bool {
    let runs = letter_runs(&normalized.to_lowercase());
    let pieces = owner.pieces();
    !runs.is_empty() && runs.iter().all(|r| made_of(r, &pieces))
}

/// Checks a new password: length after normalisation, then that it is more than its owner's own
/// words, then zxcvbn against guessable passwords and those words. No composition rules.
pub fn check_new_password(password: &str, min_chars: usize, owner: &PasswordOwner) -> Result<String, Weakness> {
    let normalized = normalize(password);
    let len = normalized.chars().count();
    if len < min_chars {
        return Err(Weakness::TooShort { min: min_chars, have: len });
    }
    if len > MAX_PASSWORD_CHARS {
        return Err(Weakness::TooLong { max: MAX_PASSWORD_CHARS });
    }
    if only_own_words(&normalized, owner) {
        return Err(Weakness::Guessable(Hint::OwnWords));
    }
    let mut words = owner.words();
    words.push(SERVICE_NAME.to_string());
    let inputs: Vec<&str> = words.iter().map(String::as_str).collect();
    // zxcvbn scores words split by spaces as if they were random characters ("password
    // password" rates 3 of 4), so the password is also scored without its spaces and the weaker
    // verdict counts.
    let squeezed: String = normalized.chars().filter(|c| !c.is_whitespace()).collect();
    let entropy = [zxcvbn::zxcvbn(&normalized, &inputs), zxcvbn::zxcvbn(&squeezed, &inputs)]
        .into_iter()
        .min_by_key(|e| e.score() as u8)
        .expect("two scores");
    if (entropy.score() as u8) < 3 {
        return Err(Weakness::Guessable(Hint::of(entropy.feedback().and_then(|fb| fb.warning()))));
    }
    Ok(normalized)
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub ok: bool,
    /// The stored hash uses other parameters than today's: store a fresh hash.
    pub needs_rehash: bool,
}

#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

struct Inner {
    running: Semaphore,
    admitted: AtomicUsize,
    max_admitted: usize,
    dummy_hash: String,
    blocks: Blocks,
}

/// The argon2 memory of the hashes running now and of those that ran in the last
/// [`Blocks::KEEP_IDLE`]. A block freshly allocated per hash cost a quarter of every sign-in's
/// CPU in the kernel (7 MiB mapped, faulted in and zeroed, then unmapped); reused, its pages
/// stay in place. At most one block per worker exists (the semaphore lets no more hashes run),
/// and a quiet hasher hands them all back, so memory is bounded under a flood and small at rest.
/// argon2 writes every block before it reads it, so a reused block needs no clearing.
struct Blocks {
    free: Mutex<Free>,
}

struct Free {
    blocks: Vec<Vec<Block>>,
    /// When a hash last gave a block back.
    last_used: Instant,
}

impl Blocks {
    /// How long a block is kept after the last hash that used it.
    const KEEP_IDLE: Duration = Duration::from_secs(2);

    fn new() -> Self {
        Blocks { free: Mutex::new(Free { blocks: Vec::new(), last_used: Instant::now() }) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Free> {
        self.free.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A block of today's size: a kept one, or a new one.
    fn take(&self) -> Vec<Block> {
        self.lock().blocks.pop().unwrap_or_else(new_block)
    }

    fn give_back(&self, block: Vec<Block>) {
        let mut free = self.lock();
        free.blocks.push(block);
        free.last_used = Instant::now();
    }

    /// Drops the kept blocks when nothing hashed for [`Self::KEEP_IDLE`], and hands back to the
    /// system what the burst that used them left free in the allocator's heaps (the requests of a
    /// flood are many small allocations across threads, which glibc keeps otherwise).
    fn trim_if_idle(&self) {
        let mut free = self.lock();
        if !free.blocks.is_empty() && free.last_used.elapsed() >= Self::KEEP_IDLE {
            free.blocks = Vec::new();
            drop(free);
            #[cfg(all(target_os = "linux", target_env = "gnu"))]
            // SAFETY: malloc_trim only returns free memory to the system; any argument is valid.
            unsafe {
                libc::malloc_trim(0);
            }
        }
    }

    fn kept(&self) -> usize {
        self.lock().blocks.len()
    }
}

/// Trims `inner`'s kept blocks once a second until the hasher is gone.
fn trim_while_alive(inner: Weak<Inner>) {
    let spawned = std::thread::Builder::new().name("hash-memory-trim".into()).spawn(move || loop {
        std::thread::sleep(Blocks::KEEP_IDLE / 2);
        match inner.upgrade() {
            Some(inner) => inner.blocks.trim_if_idle(),
            None => return,
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the thread that hands idle hashing memory back");
    }
}

/// Releases a place in the queue however the caller leaves.
struct Admission<'a>(&'a AtomicUsize);

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        let before = self.0.fetch_sub(1, Ordering::SeqCst);
        crate::telemetry::hash_queue(before.saturating_sub(1));
    }
}

impl PasswordHasher {
    /// `workers` hashes run at once (the cores); up to `queue` more callers wait; beyond that, Busy.
    pub fn new(workers: usize, queue: usize) -> Self {
        hand_hashing_memory_back();
        let workers = workers.max(1);
        // The dummy hash makes "no such account" cost the same as a wrong password.
        let dummy_hash = hash_with(&mut new_block(), &uuid_like_secret()).expect("hashing a random password");
        let inner = Arc::new(Inner {
            running: Semaphore::new(workers),
            admitted: AtomicUsize::new(0),
            max_admitted: workers + queue,
            dummy_hash,
            blocks: Blocks::new(),
        });
        trim_while_alive(Arc::downgrade(&inner));
        PasswordHasher { inner }
    }

    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        Self::new(cores, cores * 8)
    }

    /// Runs `f` on the blocking pool with a memory block of its own, once admitted and a worker
    /// is free.
    async fn run<T: Send + 'static>(&self, f: impl FnOnce(&mut [Block]) -> T + Send + 'static) -> Result<T> {
        let prev = self.inner.admitted.fetch_add(1, Ordering::SeqCst);
        let _admission = Admission(&self.inner.admitted);
        crate::telemetry::hash_queue(prev + 1);
        if prev >= self.inner.max_admitted {
            return Err(Error::Busy);
        }
        let waiting = std::time::Instant::now();
        let _permit = self.inner.running.acquire().await.map_err(|_| Error::Busy)?;
        crate::telemetry::hash_wait(waiting.elapsed());
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut block = inner.blocks.take();
            let out = f(&mut block);
            inner.blocks.give_back(block);
            out
        })
        .await
        .map_err(|e| Error::Hashing(format!("hashing task failed: {e}")))
    }

    /// Hashes an already checked and normalised password.
    pub async fn hash(&self, normalized: String) -> Result<String> {
        self.run(move |block| hash_with(block, &normalized)).await?
    }

    /// Verifies `password` against `stored`; with no stored hash, runs against a dummy so the
    /// caller takes as long as for a real account and gets `ok: false`.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<Verified> {
        let normalized = normalize(password);
        if normalized.chars().count() > MAX_PASSWORD_CHARS {
            return Ok(Verified { ok: false, needs_rehash: false });
        }
        let (hash, real) = match stored {
            Some(h) => (h.to_string(), true),
            None => (self.inner.dummy_hash.clone(), false),
        };
        self.run(move |block| {
            let parsed = match PasswordHash::new(&hash) {
                Ok(p) => p,
                Err(_) => return Verified { ok: false, needs_rehash: false },
            };
            let ok = verify_with(block, normalized.as_bytes(), &parsed) && real;
            Verified { ok, needs_rehash: ok && !uses_current_params(&parsed) }
        })
        .await
    }

    /// How many argon2 memory blocks the hasher keeps between hashes now.
    pub fn blocks_kept(&self) -> usize {
        self.inner.blocks.kept()
    }

    #[cfg(test)]
    fn admitted(&self) -> usize {
        self.inner.admitted.load(Ordering::SeqCst)
    }
}

/// Each hash allocates a 7 MiB block and frees it. glibc serves such a block from a per-thread
/// arena once its adaptive mmap threshold has grown past it, and the arenas keep freed blocks:
/// a burst of sign-ins on the blocking pool's many threads left hundreds of MiB behind for good.
/// A fixed 1 MiB threshold (which also stops the adaptation) makes every block its own mapping,
/// returned to the system when the hash is done, so memory is the blocks in flight and no more.
fn hand_hashing_memory_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: mallopt only changes allocator tuning; it is called once, and any value
            // of M_MMAP_THRESHOLD up to 32 MiB is valid.
            let ok = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20) };
            if ok != 1 {
                tracing::warn!("the allocator refused a 1 MiB mmap threshold; hashing memory may be kept after bursts");
            }
        });
    }
}

fn uuid_like_secret() -> String {
    crate::secret::Token::generate().expose().to_string()
}

/// A PHC string of today's parameters for `normalized`, computed in `memory`.
fn hash_with(memory: &mut [Block], normalized: &str) -> Result<String> {
    let failed = |e: &dyn std::fmt::Display| Error::Hashing(e.to_string());
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(|e| failed(&e))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2()
        .hash_password_into_with_memory(normalized.as_bytes(), salt_bytes, &mut out, memory)
        .map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&current_params()).map_err(|e| failed(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` hashes to `stored` under the parameters `stored` names. Computed in
/// `memory` when it is big enough (today's parameters or cheaper ones), otherwise in memory of
/// its own; compared in constant time.
fn verify_with(memory: &mut [Block], password: &[u8], stored: &PasswordHash<'_>) -> bool {
    let (Some(salt), Some(expected)) = (&stored.salt, &stored.hash) else { return false };
    let Ok(algorithm) = Algorithm::try_from(stored.algorithm) else { return false };
    let version = match stored.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(stored) else { return false };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else { return false };
    let mut own;
    let memory: &mut [Block] = if memory.len() >= params.block_count() {
        memory
    } else {
        own = vec![Block::default(); params.block_count()];
        &mut own
    };
    let mut out = vec![0u8; expected.len()];
    let hashed =
        Argon2::new(algorithm, version, params).hash_password_into_with_memory(password, salt_bytes, &mut out, memory);
    // `Output`'s equality is constant-time.
    hashed.is_ok() && Output::new(&out).is_ok_and(|o| &o == expected)
}

fn uses_current_params(h: &PasswordHash<'_>) -> bool {
    let Ok(p) = Params::try_from(h) else { return false };
    h.algorithm.as_str() == "argon2id"
        && h.version == Some(Version::V0x13 as u32)
        && p.m_cost() == ARGON2_M_KIB
        && p.t_cost() == ARGON2_T
        && p.p_cost() == ARGON2_P
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_pinned_owasp_parameters() {
        let h = PasswordHasher::new(1, 1);
        let hash = h.hash("correct horse battery staple".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{hash}");
        let v = h.verify("correct horse battery staple", Some(&hash)).await.unwrap();
        assert_eq!(v, Verified { ok: true, needs_rehash: false });
        let v = h.verify("correct horse battery stapler", Some(&hash)).await.unwrap();
        assert!(!v.ok);
    }

    #[tokio::test]
    async fn unknown_accounts_and_garbage_hashes_never_verify() {
        let h = PasswordHasher::new(1, 1);
        assert!(!h.verify("anything", None).await.unwrap().ok);
        assert!(!h.verify("anything", Some("not a phc string")).await.unwrap().ok);
    }

    #[tokio::test]
    async fn weaker_stored_parameters_ask_for_a_rehash() {
        use argon2::password_hash::PasswordHasher as _;
        let weak = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(4096, 3, 1, None).unwrap())
            .hash_password(b"correct horse battery staple", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        let h = PasswordHasher::new(1, 1);
        let v = h.verify("correct horse battery staple", Some(&weak)).await.unwrap();
        assert_eq!(v, Verified { ok: true, needs_rehash: true });
    }

    #[tokio::test]
    async fn hashes_read_the_same_as_the_argon2_crates_own() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let h = PasswordHasher::new(1, 1);
        let ours = h.hash("plum tractor sings quietly tonight".into()).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon2().verify_password(b"plum tractor sings quietly tonight", &parsed).is_ok());
        assert!(argon2().verify_password(b"plum tractor sings quietly tonighT", &parsed).is_err());
        let theirs =
            argon2().hash_password(b"amber lamps over rivers", &SaltString::generate(&mut OsRng)).unwrap().to_string();
        assert_eq!(
            h.verify("amber lamps over rivers", Some(&theirs)).await.unwrap(),
            Verified { ok: true, needs_rehash: false }
        );
        assert!(!h.verify("amber lamps over river", Some(&theirs)).await.unwrap().ok);
    }

    #[tokio::test]
    async fn a_hash_dearer_than_todays_still_verifies_in_memory_of_its_own() {
        use argon2::password_hash::PasswordHasher as _;
        let dear = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(ARGON2_M_KIB * 2, 1, 1, None).unwrap())
            .hash_password(b"amber lamps over rivers", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        let h = PasswordHasher::new(1, 1);
        assert_eq!(
            h.verify("amber lamps over rivers", Some(&dear)).await.unwrap(),
            Verified { ok: true, needs_rehash: true }
        );
        assert!(!h.verify("amber lamps", Some(&dear)).await.unwrap().ok);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn memory_blocks_are_reused_one_per_worker_and_handed_back_when_quiet() {
        let h = PasswordHasher::new(2, 64);
        assert_eq!(h.blocks_kept(), 0, "nothing is kept before the first hash");
        let stored = h.hash("plum tractor sings quietly tonight".into()).await.unwrap();
        assert_eq!(h.blocks_kept(), 1, "the block of a finished hash is kept for the next");
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let (h, stored) = (h.clone(), stored.clone());
                tokio::spawn(async move { h.verify(&format!("guess {i}"), Some(&stored)).await })
            })
            .collect();
        for t in tasks {
            assert!(!t.await.unwrap().unwrap().ok);
        }
        let kept = h.blocks_kept();
        assert!((1..=2).contains(&kept), "{kept} blocks kept for 2 workers");
        let deadline = Instant::now() + Blocks::KEEP_IDLE * 4;
        while h.blocks_kept() > 0 {
            assert!(Instant::now() < deadline, "a quiet hasher hands its blocks back");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(h.verify("plum tractor sings quietly tonight", Some(&stored)).await.unwrap().ok);
    }

    #[tokio::test]
    async fn passwords_are_nfkc_normalised_before_hashing() {
        let h = PasswordHasher::new(1, 1);
        // U+FB01 (the "fi" ligature) normalises to "fi".
        let hash = h.hash(normalize("\u{FB01}ve quiet rivers under amber lamps")).await.unwrap();
        assert!(h.verify("five quiet rivers under amber lamps", Some(&hash)).await.unwrap().ok);
    }

    #[tokio::test]
    async fn overlong_passwords_are_refused_without_hashing() {
        let h = PasswordHasher::new(1, 0);
        let long = "x".repeat(MAX_PASSWORD_CHARS + 1);
        // With zero queue and the one worker free this would hash; it must not even try.
        assert!(!h.verify(&long, Some(&h.inner.dummy_hash.clone())).await.unwrap().ok);
        assert_eq!(h.admitted(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_answers_busy_at_once() {
        let h = PasswordHasher::new(1, 1);
        let dummy = h.inner.dummy_hash.clone();
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let h = h.clone();
            let d = dummy.clone();
            tasks.push(tokio::spawn(async move { h.verify("pw", Some(&d)).await }));
        }
        let mut busy = 0;
        let mut done = 0;
        for t in tasks {
            match t.await.unwrap() {
                Err(Error::Busy) => busy += 1,
                Ok(_) => done += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert!(busy >= 1, "with 1 worker and a queue of 1, six callers cannot all be admitted");
        assert!(done >= 2);
        assert_eq!(h.admitted(), 0, "every admission is released");
    }

    #[test]
    fn guessable_passwords_say_why_in_a_few_kinds() {
        use zxcvbn::feedback::Warning as W;
        assert_eq!(Hint::of(Some(W::ThisIsATop10Password)), Hint::Common);
        assert_eq!(Hint::of(Some(W::StraightRowsOfKeysAreEasyToGuess)), Hint::Keyboard);
        assert_eq!(Hint::of(Some(W::RecentYearsAreEasyToGuess)), Hint::Dates);
        assert_eq!(Hint::of(None), Hint::General);
    }

    #[test]
    fn new_password_rules() {
        let ctx = PasswordOwner { org_name: "Acme Health", email: "ada@example.org", display_name: "Ada" };
        let ctx = &ctx;
        assert_eq!(check_new_password("short", 15, ctx), Err(Weakness::TooShort { min: 15, have: 5 }));
        assert_eq!(check_new_password(&"a".repeat(129), 15, ctx), Err(Weakness::TooLong { max: 128 }));
        // Long but guessable.
        assert!(matches!(check_new_password("passwordpassword", 15, ctx), Err(Weakness::Guessable(_))));
        // Spaces do not hide a repeated common word.
        assert!(matches!(check_new_password("password password", 15, ctx), Err(Weakness::Guessable(_))));
        assert!(matches!(check_new_password("qwertyuiopasdfgh", 15, ctx), Err(Weakness::Guessable(_))));
        // Built from the context words.
        assert!(check_new_password("acmehealthacmehealth", 15, ctx).is_err());
        assert!(check_new_password("ada@example.org2024", 15, ctx).is_err());
        // A passphrase passes, with no composition rules.
        assert!(check_new_password("plum tractor sings quietly tonight", 15, ctx).is_ok());
        // Length counts characters after normalisation, not bytes.
        assert_eq!(check_new_password("ünïcödé ẃörds àré fïné tóò", 15, ctx).map(|s| s.chars().count()), Ok(26));
        // 128 accepted, 129 refused.
        let max = "plum tractor sings quietly ".repeat(5);
        let max: String = max.chars().take(128).collect();
        assert!(check_new_password(&max, 15, ctx).is_ok());
        assert_eq!(check_new_password(&format!("{max}x"), 15, ctx), Err(Weakness::TooLong { max: 128 }));
    }

    #[test]
    fn nothing_but_the_owners_own_words_is_refused_whatever_stands_between_them() {
        let max = PasswordOwner { org_name: "Frame Works", email: "max@frame.test", display_name: "Max Member" };
        let acme = PasswordOwner { org_name: "Acme Dental", email: "olive@acmedental.example", display_name: "Olive" };
        let xyz = PasswordOwner { org_name: "Northwind", email: "xyz@northwind.example", display_name: "Q" };
        let refused = [
            ("max member frame test", &max),
            ("MAX-MEMBER-FRAME-TEST-2026", &max),
            ("acmedental2026!", &acme),
            ("Acme Dental Acme Dental", &acme),
            ("olive.acmedental.example", &acme),
            ("xyz-xyz-xyz-xyz", &xyz),
            ("xyzzyx xyzzyx 1999", &xyz),
            ("northwind tessera 2026!!", &xyz),
        ];
        for (pw, owner) in refused {
            assert!(only_own_words(&normalize(pw), owner), "{pw:?}");
            let refusal = check_new_password(pw, 8, owner);
            assert_eq!(refusal, Err(Weakness::Guessable(Hint::OwnWords)), "{pw:?}");
        }
        // One word of one's own does not spoil an otherwise good passphrase.
        for (pw, owner) in [
            ("max plum tractor sings quietly", &max),
            ("acme orchid lantern beside rivers", &acme),
            ("123456789012345", &xyz),
        ] {
            assert!(!only_own_words(&normalize(pw), owner), "{pw:?}");
        }
        assert!(check_new_password("max plum tractor sings quietly", 8, &max).is_ok());
    }

    #[test]
    fn a_password_made_of_the_persons_own_words_is_refused() {
        let quillorn = PasswordOwner {
            org_name: "Thistlegrove Clinic",
            email: "quillorn.vexmarrow@thistlegrove-clinic.example",
            display_name: "Quillorn Vexmarrow",
        };
        let nobody = PasswordOwner { org_name: "Acme", email: "ada@example.org", display_name: "Ada" };
        // Strong for anyone else, weak for the person whose name and address it spells.
        for pw in ["vexmarrow quillorn", "quillorn thistlegrove", "VexmarrowThistlegrove"] {
            assert!(check_new_password(pw, 8, &nobody).is_ok(), "{pw:?} should pass without context");
            assert!(matches!(check_new_password(pw, 8, &quillorn), Err(Weakness::Guessable(_))), "{pw:?}");
        }
        assert_eq!(
            quillorn.words(),
            [
                "clinic",
                "thistlegrove",
                "thistlegrove clinic",
                "thistlegrove-clinic.example",
                "vexmarrow",
                "quillorn",
                "quillorn vexmarrow",
                "quillorn.vexmarrow",
                "quillorn.vexmarrow@thistlegrove-clinic.example",
                "example",
            ]
            .into_iter()
            .map(String::from)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
        );
    }
}
