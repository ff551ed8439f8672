import { describe, expect, it } from 'vitest';
import { maskCustomerName, maskSensitiveText } from '../../functions/src/domain/privacy/masking.js';

describe('masking sensitive customer data (LCH-6, LCH-7)', () => {
  it.each([
    ['+ 1 (123) 456 7890', '**********7890'],
    ['+447966197542', '*********7542'],
    ['melissa@gmail.com', 'm******@gmail.com'],
  ])('masks the seed example %s as %s', (text, masked) => {
    expect(maskSensitiveText(text)).toBe(masked);
  });

  it('masks a card number that passes the Luhn check and leaves other long numbers alone', () => {
    expect(maskSensitiveText('card 4111 1111 1111 1111, order 1234567890123')).toBe(
      'card ************1111, order 1234567890123',
    );
  });

  it('masks a customer name only when it is a mobile number', () => {
    expect(maskCustomerName('+447966197542')).toBe('*********7542');
    expect(maskCustomerName('Melissa Jones')).toBe('Melissa Jones');
  });
});
