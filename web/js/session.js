// Who is signed in, and what each role may see: the landing page and the navigation.
import { get, post, requestsSettled } from './api.js';

let me = null; // {user, institution}

export const session = () => me;
export const role = () => (me ? me.user.role : null);

export async function loadSession() {
  try {
    me = await get('/api/me');
  } catch {
    me = null;
  }
  return me;
}

export function setSession(s) {
  me = s ? { user: s.user, institution: s.institution } : null;
}

export async function logout() {
  await requestsSettled(); // the page's last requests are answered while the session still holds
  try {
    await post('/api/logout', {});
  } catch {
    /* already ended */
  }
  me = null;
}

export const isClinic = (r = role()) => r === 'clinic_tech' || r === 'clinic_doctor';
export const isReader = (r = role()) =>
  r === 'imaging_reader' || r === 'ecg_reader' || r === 'senior_reader' || r === 'center_lead';
export const isLead = (r = role()) => r === 'center_lead';
export const isSenior = (r = role()) => r === 'senior_reader' || r === 'center_lead';
export const isAdmin = (r = role()) => r === 'admin';

/** Where each role starts. */
export function landing(r = role()) {
  if (isClinic(r)) return '/clinic';
  if (isReader(r)) return '/worklist';
  if (isAdmin(r)) return '/admin/users';
  return '/login';
}

/** Which top-level areas a role may open ("clinic", "worklist", "read", "dispatch", "stats", "admin"). */
export function mayOpen(area, r = role()) {
  switch (area) {
    case 'clinic':
      return isClinic(r);
    case 'worklist':
    case 'read':
      return isReader(r);
    case 'dispatch':
      return isLead(r);
    case 'stats':
      return isLead(r) || isAdmin(r) || isClinic(r);
    case 'admin':
      return isAdmin(r);
    default:
      return true;
  }
}
