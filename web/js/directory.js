// The consortium directory (institutions, and for leads/admins the users), fetched once and cached.
import { get } from './api.js';
import { bilingual } from './i18n.js';

let institutions = null;
let users = null;

export async function loadInstitutions(force = false) {
  if (!institutions || force) institutions = (await get('/api/institutions')).institutions;
  return institutions;
}

export async function loadUsers(force = false) {
  if (!users || force) users = (await get('/api/users')).users;
  return users;
}

/** The display name of an institution already loaded (bilingual half for the current language). */
export function institutionName(id) {
  const i = (institutions || []).find((x) => x.id === id);
  return i ? bilingual(i.name) : '';
}

export function userName(id) {
  const u = (users || []).find((x) => x.id === id);
  return u ? bilingual(u.display_name) : '';
}

export function forget() {
  institutions = null;
  users = null;
}
